import type { RawData, WebSocket } from 'ws';
import { sleep } from '../../lib/index.ts';
import type { SimCodexAccount } from './accounts.ts';
import { rateLimitsEvent } from './headers.ts';
import { codexAuthError, SERVER_ERROR, usageLimitReply } from './http.ts';
import { parseResponsesRequest } from './response-body.ts';
import { interruptionOf, runCodexTurn } from './responses.ts';
import type { SimFault } from '../faults.ts';
import { waitForAbort } from '../sse.ts';
import type { SimulatorState } from '../state.ts';

/**
 * One Codex WebSocket session after the handshake: each `response.create` text frame is one
 * turn, answered with `codex.rate_limits` and then the same events as the SSE stream, one JSON
 * text frame each with the chunk delay between. Turns run one after another, like the real
 * endpoint's single in-flight response per connection. Failures arrive in-band as
 * `{"type":"error","status":…,"error":{…}}` and the session stays open.
 */
export function runCodexSession(socket: WebSocket, account: SimCodexAccount, state: SimulatorState): void {
  const closed = new AbortController();
  const signal = AbortSignal.any([closed.signal, state.shutdown.signal]);
  socket.once('close', () => closed.abort());
  // A protocol error from the client (bad frame, oversize) ends the session, never the simulator.
  socket.on('error', () => socket.terminate());
  let turns = Promise.resolve();
  socket.on('message', (data: RawData, isBinary: boolean) => {
    turns = turns.then(() => turn(socket, account, state, frameText(data, isBinary), signal)).catch(() => socket.terminate());
  });
}

function frameText(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as Buffer).toString('utf8');
}

async function turn(
  socket: WebSocket,
  account: SimCodexAccount,
  state: SimulatorState,
  text: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const type = messageType(text);
  // Codex acknowledges each completed response with `{"type":"response.processed","response_id":…}`
  // (openai/codex codex-rs/codex-api/src/common.rs `ResponsesWsRequest`); the backend answers nothing.
  if (type === 'response.processed') return;
  if (type !== 'response.create') {
    const message = type === undefined ? 'Expected a JSON text frame with a "type"' : `Unsupported event type: ${type}`;
    return send(socket, errorEvent(400, { message, type: 'invalid_request_error', param: 'type', code: 'invalid_event' }));
  }
  account.counters.responses += 1;
  const fault = state.faults.take('codex_responses', account.id);
  if (fault !== undefined && (await answerFault(socket, fault, account, state, signal))) return;

  const request = parseResponsesRequest(text ?? '');
  if ('error' in request) return send(socket, errorEvent(400, request.error));
  const nowMs = state.clock.now();
  const result = runCodexTurn(account, request, nowMs, fault);
  if (result.kind === 'rejected') {
    const reply = usageLimitReply(account, nowMs);
    return send(socket, { ...errorEvent(429, reply.error), headers: reply.headers });
  }
  await send(socket, rateLimitsEvent(account, result.windows));
  const interruption = interruptionOf(fault);
  const stopAt = interruption?.afterEvents ?? Number.POSITIVE_INFINITY;
  for (const [index, event] of result.events.entries()) {
    if (index >= stopAt) break;
    await sleep(state.chunkDelayMs, signal);
    if (signal.aborted) return;
    await send(socket, event.data);
  }
  if (interruption?.kind === 'cut') socket.terminate();
  if (interruption?.kind === 'stall') await waitForAbort(signal);
}

/** Returns true when the fault replaced the turn. */
async function answerFault(
  socket: WebSocket,
  fault: SimFault,
  account: SimCodexAccount,
  state: SimulatorState,
  signal: AbortSignal,
): Promise<boolean> {
  switch (fault.type) {
    case 'rate_limit': {
      const reply = usageLimitReply(account, state.clock.now(), fault.window ?? 'five_hour');
      await send(socket, { ...errorEvent(429, reply.error), headers: reply.headers });
      return true;
    }
    case 'unauthorized':
      await send(socket, errorEvent(401, codexAuthError(fault.reason ?? 'expired')));
      return true;
    case 'server_error':
      await send(socket, errorEvent(fault.status ?? 500, { ...SERVER_ERROR }));
      return true;
    case 'slow':
      await sleep(fault.delayMs, signal);
      return signal.aborted;
    default:
      return false;
  }
}

function messageType(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    const type = (value as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** `status` as Codex reads it (it also accepts `status_code`). */
function errorEvent(status: number, error: object): Record<string, unknown> {
  return { type: 'error', status, error };
}

/** Resolves once the frame is handed to the socket (or the socket is gone), so slow readers pace us. */
function send(socket: WebSocket, data: unknown): Promise<void> {
  if (socket.readyState !== socket.OPEN) return Promise.resolve();
  return new Promise((resolve) => socket.send(JSON.stringify(data), () => resolve()));
}
