import { randomBytes } from 'node:crypto';
import type { SimCodexAccount } from './accounts.ts';
import { codexBackendRefusal } from './backend-checks.ts';
import { codexHeaders } from './headers.ts';
import {
  answerCodexTurnFault,
  authenticateCodex,
  sendCodexAuthFailure,
  sendOpenAIError,
  sendUsageLimit,
  sendUsageNotIncluded,
} from './http.ts';
import {
  buildResponse,
  overloadedEvents,
  parseResponsesRequest,
  responseEvents,
  type ResponsesRequest,
  type ResponseUsage,
} from './response-body.ts';
import { codexWindows, consumeCodexTokens, isCodexRejected, type CodexWindows } from './windows.ts';
import { extraLimitError, extraLimitFor, extraLimitHeaders } from './extra-limit.ts';
import type { SimFault } from '../faults.ts';
import { sendJson, type SimExchange } from '../http.ts';
import { waitForAbort, writeEventStream, type SseEvent } from '../sse.ts';
import type { SimulatorState } from '../state.ts';
import { weightedTokens } from '../account-table.ts';

export type CodexTurn =
  { kind: 'rejected' } | { kind: 'answered'; response: Record<string, unknown>; events: SseEvent[]; windows: CodexWindows };

/**
 * One response, whatever the transport: refused when a window is full, else built and charged
 * before the rate limits are read, so each answer reports the usage including itself. A
 * warm-up (`generate: false`) is answered empty and not charged.
 */
export function runCodexTurn(account: SimCodexAccount, request: ResponsesRequest, nowMs: number, fault: SimFault | undefined): CodexTurn {
  if (isCodexRejected(codexWindows(account))) return { kind: 'rejected' };
  const response = buildResponse(request, account, nowMs);
  if (!request.isWarmup) consumeCodexTokens(account, weightedTokens(response['usage'] as ResponseUsage));
  const events = responseEvents(response);
  return {
    kind: 'answered',
    response,
    events: fault?.type === 'stream_overloaded' ? overloadedEvents(events, fault.afterEvents ?? 2, response) : events,
    windows: codexWindows(account),
  };
}

export function interruptionOf(fault: SimFault | undefined): { kind: 'stall' | 'cut'; afterEvents: number } | undefined {
  if (fault?.type === 'stall' || fault?.type === 'cut') return { kind: fault.type, afterEvents: fault.afterEvents ?? 2 };
  return undefined;
}

/**
 * `POST /backend-api/codex/responses`: authenticate, play a scripted fault, validate, refuse with
 * `usage_limit_reached` when a window is full, else answer as SSE (or JSON for `stream: false`)
 * with the `x-codex-*` headers.
 */
export async function handleCodexResponses(exchange: SimExchange, state: SimulatorState): Promise<void> {
  const { res } = exchange;
  const auth = authenticateCodex(exchange.req, state.codex);
  if ('failure' in auth) return sendCodexAuthFailure(res, auth.failure);
  const { account } = auth;
  account.counters.responses += 1;

  const fault = state.faults.take('codex_responses', account.id);
  if (fault !== undefined && (await answerCodexTurnFault(exchange, fault, account, state.clock.now()))) return;

  const refusal = state.codex.isStrict ? codexBackendRefusal(exchange.body) : undefined;
  if (refusal !== undefined) return sendJson(res, 400, refusal);
  const request = parseResponsesRequest(exchange.body);
  if ('error' in request) return sendOpenAIError(res, 400, request.error);

  const nowMs = state.clock.now();
  if (!account.settings.includesCodex) return sendUsageNotIncluded(res, account);
  const extraLimit = extraLimitFor(account, request.model);
  if (extraLimit !== undefined && extraLimit.usedPercent >= 100 && !isCodexRejected(codexWindows(account))) {
    account.counters.rateLimited += 1;
    const headers = {
      ...codexHeaders(account, codexWindows(account), nowMs, { isLimitReached: true }),
      ...extraLimitHeaders(account, extraLimit, nowMs),
    };
    return sendJson(res, 429, { error: extraLimitError(account, nowMs) }, headers);
  }
  const turn = runCodexTurn(account, request, nowMs, fault);
  if (turn.kind === 'rejected') return sendUsageLimit(res, account, nowMs);
  const headers = {
    ...codexHeaders(account, turn.windows, nowMs),
    ...(extraLimit === undefined ? {} : extraLimitHeaders(account, extraLimit, nowMs)),
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
  };
  const interruption = interruptionOf(fault);

  if (request.stream) {
    return writeEventStream(res, turn.events, { headers, delayMs: state.chunkDelayMs, signal: exchange.signal, interruption });
  }
  if (interruption === undefined) return sendJson(res, 200, turn.response, headers);
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.flushHeaders();
  if (interruption.kind === 'stall') await waitForAbort(exchange.signal);
  res.destroy();
}
