import { authenticate } from './auth.ts';
import { accountHeaders, answerMessagesFault } from './fault-replies.ts';
import { accountRefusal, requestRefusal } from './entitlements.ts';
import { isModelRejected, modelWindowHeaders } from './model-windows.ts';
import type { SimFault } from '../faults.ts';
import { ERROR_MESSAGES, sendAnthropicError, sendAuthFailure, sendJson, type SimExchange } from '../http.ts';
import { buildMessage, parseMessagesRequest } from './reply.ts';
import { estimateTokens } from '../text.ts';
import { messageEvents } from './message-events.ts';
import { waitForAbort, writeEventStream } from '../sse.ts';
import type { SimulatorState } from '../state.ts';
import { consumeTokens, isRejected, retryAfterSeconds, unifiedHeaders } from './windows.ts';
import { weightedTokens } from '../account-table.ts';

/**
 * `POST /v1/messages`: authenticate, play a scripted fault if one is queued, validate, refuse
 * with 429 when a window is full, otherwise answer (JSON or SSE) and charge the account.
 */
export async function handleMessages(exchange: SimExchange, state: SimulatorState): Promise<void> {
  const { res } = exchange;
  const auth = authenticate(exchange.req, state);
  if ('failure' in auth) return sendAuthFailure(res, auth.failure);
  const { account } = auth;
  account.counters.messages += 1;

  const fault = state.faults.take('messages', account.id);
  if (fault !== undefined && (await answerMessagesFault(exchange, fault, account, state))) return;

  const disabled = accountRefusal(account);
  if (disabled !== undefined) return sendAnthropicError(res, disabled.status, disabled.kind, disabled.message, accountHeaders(account));

  const request = parseMessagesRequest(exchange.body, { requireMaxTokens: true });
  if ('error' in request) return sendAnthropicError(res, 400, 'invalid_request_error', request.error);

  if (isRejected(account)) {
    account.counters.rateLimited += 1;
    return sendAnthropicError(res, 429, 'rate_limit_error', ERROR_MESSAGES.rateLimit, {
      ...unifiedHeaders(account),
      ...accountHeaders(account),
      'retry-after': String(retryAfterSeconds(account, state.clock.now())),
    });
  }
  if (isModelRejected(account, request.model)) {
    account.counters.rateLimited += 1;
    return sendAnthropicError(res, 429, 'rate_limit_error', ERROR_MESSAGES.rateLimit, {
      ...unifiedHeaders(account),
      ...modelWindowHeaders(account, request.model),
      ...accountHeaders(account),
      'retry-after': String(Math.max(0, Math.ceil((account.weeklyResetAtMs - state.clock.now()) / 1000))),
    });
  }
  // The account's windows are fine and say so (`allowed`): the refusal is about this request.
  const refused = requestRefusal(account, exchange.req.headers, request);
  if (refused !== undefined) {
    if (refused.status !== 429) return sendAnthropicError(res, refused.status, refused.kind, refused.message, accountHeaders(account));
    account.counters.rateLimited += 1;
    return sendAnthropicError(res, refused.status, refused.kind, refused.message, {
      ...unifiedHeaders(account),
      ...accountHeaders(account),
    });
  }

  const message = buildMessage(request, account);
  // Charged before the headers are computed, so each response reports the usage including itself.
  consumeTokens(account, weightedTokens(message.usage));
  const headers = { ...unifiedHeaders(account), ...modelWindowHeaders(account, request.model), ...accountHeaders(account) };
  const interruption = interruptionOf(fault);

  if (request.stream) {
    return writeEventStream(res, messageEvents(message), {
      headers,
      delayMs: state.chunkDelayMs,
      signal: exchange.signal,
      interruption,
    });
  }
  if (interruption === undefined) return sendJson(res, 200, message, headers);
  // A JSON answer has no events to stop between: headers go out, the body never (stall) or
  // the connection drops (cut).
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.flushHeaders();
  if (interruption.kind === 'stall') await waitForAbort(exchange.signal);
  res.destroy();
}

function interruptionOf(fault: SimFault | undefined): { kind: 'stall' | 'cut'; afterEvents: number } | undefined {
  if (fault?.type === 'stall' || fault?.type === 'cut') {
    return { kind: fault.type, afterEvents: fault.afterEvents ?? 2 };
  }
  return undefined;
}

/** `POST /v1/messages/count_tokens`: same auth, no charge, no unified headers. */
export function handleCountTokens(exchange: SimExchange, state: SimulatorState): void {
  const { res } = exchange;
  const auth = authenticate(exchange.req, state);
  if ('failure' in auth) return sendAuthFailure(res, auth.failure);
  auth.account.counters.countTokens += 1;
  const request = parseMessagesRequest(exchange.body, { requireMaxTokens: false });
  if ('error' in request) return sendAnthropicError(res, 400, 'invalid_request_error', request.error);
  sendJson(res, 200, { input_tokens: estimateTokens(request.promptText) }, accountHeaders(auth.account));
}
