/**
 * Codex over WebSocket (`GET /v1/responses` + upgrade): what the generic relay needs to know
 * about the frames. `codex.rate_limits` events teach the credential and reach the client as the
 * pool aggregate; `response.completed` carries the token counts; `response.create` names the model
 * and starts a turn. Codex reads `x-codex-turn-state`, `x-reasoning-included`, `x-models-etag` and
 * `openai-model` from the 101 (openai/codex codex-rs/codex-api/src/endpoint/responses_websocket.rs,
 * `connect_websocket`), and an account's quota refusal arrives in-band as
 * `{"type":"error","status":429,"error":{"type":"usage_limit_reached",…},"headers":{…}}` (same file,
 * `WrappedWebsocketErrorEvent`). A turn carrying `previous_response_id` continues a response held
 * by that upstream connection; another account's connection does not know it.
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
  handshakeHeaders: ['x-codex-turn-state', 'x-reasoning-included', 'x-models-etag', 'openai-model'],
  turnStart(text) {
    const event = safeParse(text) as { type?: unknown; previous_response_id?: unknown } | undefined;
    if (event?.type !== 'response.create') return undefined;
    return { movable: typeof event.previous_response_id !== 'string' || event.previous_response_id === '' };
  },
  isAccountRefusal(text) {
    if (!text.includes('usage_limit_reached')) return false;
    const event = safeParse(text) as { type?: unknown; error?: { type?: unknown; code?: unknown } | null } | undefined;
    if (event?.type !== 'error') return false;
    return event.error?.type === 'usage_limit_reached' || event.error?.code === 'usage_limit_reached';
  },
};

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
