/**
 * Codex over WebSocket (`GET /v1/responses` + upgrade): what the generic relay needs to know
 * about the frames. `codex.rate_limits` events teach the credential and reach the client as the
 * pool aggregate; `response.completed` carries the token counts; `response.create` names the model.
 */
import type { WebSocketWire } from '../provider-module.ts';
import { codexEventOutcome } from './adapter.ts';
import { aggregateRateLimitsEvent } from './websocket-events.ts';

export const codexWebSocketWire: WebSocketWire = {
  path: '/v1/responses',
  // Codex sends this itself; a client that does not still needs it upstream.
  defaultHeaders: { 'openai-beta': 'responses_websockets=2026-02-06' },
  eventOutcome: (text, nowSeconds) =>
    text.includes('codex.rate_limits') || text.includes('"error"') ? codexEventOutcome(safeParse(text), nowSeconds) : undefined,
  isRateLimitEvent: (outcome) => outcome.status === 200,
  aggregateEvent: aggregateRateLimitsEvent,
  modelOf(text) {
    const event = safeParse(text) as { type?: unknown; model?: unknown } | undefined;
    return event?.type === 'response.create' && typeof event.model === 'string' ? event.model : undefined;
  },
  // The usage tap reads SSE; a completed response is the one frame that carries the counts.
  usageBytes: (text) => (text.includes('"response.completed"') ? Buffer.from(`data: ${text}\n`) : undefined),
};

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
