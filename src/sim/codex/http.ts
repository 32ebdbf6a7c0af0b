import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from '../../lib/index.ts';
import type { SimCodexAccount } from './accounts.ts';
import { codexHeaders, usageLimitError } from './headers.ts';
import type { OpenAIError } from './response-body.ts';
import type { CodexState } from './state.ts';
import { codexWindows } from './windows.ts';
import type { SimFault } from '../faults.ts';
import { bearerToken, sendJson, type SimExchange } from '../http.ts';
import type { WindowClaim } from '../account-table.ts';

export type CodexAuthFailure = 'missing' | 'invalid' | 'expired' | 'revoked' | 'accountMismatch';

/**
 * 401 bodies in OpenAI's shape. `missing` is the public API's wording; the others are the
 * simulator's own (the facts pin the shape and the status, not the ChatGPT backend's text).
 */
const AUTH_ERRORS: Readonly<Record<CodexAuthFailure, OpenAIError>> = Object.freeze({
  missing: { message: 'Missing bearer or basic authentication in header', type: 'invalid_request_error', param: null, code: null },
  invalid: {
    message: 'Could not parse your authentication token. Please try signing in again.',
    type: 'invalid_request_error',
    param: null,
    code: 'token_invalid',
  },
  expired: {
    message: 'Provided authentication token is expired. Please try signing in again.',
    type: 'invalid_request_error',
    param: null,
    code: 'token_expired',
  },
  revoked: {
    message: 'Your authentication token has been invalidated. Please try signing in again.',
    type: 'invalid_request_error',
    param: null,
    code: 'token_revoked',
  },
  accountMismatch: {
    message: 'ChatGPT-Account-Id does not match the authenticated account.',
    type: 'invalid_request_error',
    param: null,
    code: 'account_mismatch',
  },
});

export const SERVER_ERROR: Readonly<OpenAIError> = Object.freeze({
  message: 'The server had an error while processing your request. Sorry about that!',
  type: 'server_error',
  param: null,
  code: null,
});

export function sendOpenAIError(res: ServerResponse, status: number, error: OpenAIError, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error }, headers);
}

export function codexAuthError(failure: CodexAuthFailure): OpenAIError {
  return { ...AUTH_ERRORS[failure] };
}

export function sendCodexAuthFailure(res: ServerResponse, failure: CodexAuthFailure): void {
  sendOpenAIError(res, 401, AUTH_ERRORS[failure]);
}

/** `Authorization: Bearer <access>` (known, live, unexpired) plus a matching `ChatGPT-Account-Id`. */
export function authenticateCodex(req: IncomingMessage, codex: CodexState): { account: SimCodexAccount } | { failure: CodexAuthFailure } {
  const token = bearerToken(req);
  if (token === undefined) return { failure: 'missing' };
  const account = codex.byAccessToken(token);
  if (account === undefined) return { failure: 'invalid' };
  if (account.isRevoked) return { failure: 'revoked' };
  if (codex.clock.now() >= account.expiresAt) return { failure: 'expired' };
  if (req.headers['chatgpt-account-id'] !== account.accountId) return { failure: 'accountMismatch' };
  return { account };
}

/**
 * The account's own 429 `usage_limit_reached`: body error plus the `x-codex-*` headers
 * (PROTOCOL.md › Headers lists the family). Counted as a rate-limited answer.
 */
export function usageLimitReply(
  account: SimCodexAccount,
  nowMs: number,
  forced?: WindowClaim,
): { error: Record<string, unknown>; headers: Record<string, string> } {
  account.counters.rateLimited += 1;
  const windows = codexWindows(account, forced);
  return { error: usageLimitError(account, windows, nowMs), headers: codexHeaders(account, windows, nowMs, { isLimitReached: true }) };
}

export function sendUsageLimit(res: ServerResponse, account: SimCodexAccount, nowMs: number, forced?: WindowClaim): void {
  const reply = usageLimitReply(account, nowMs, forced);
  sendJson(res, 429, { error: reply.error }, reply.headers);
}

/**
 * A plan without Codex: 429 `usage_not_included`, which Codex CLI tells apart from
 * `usage_limit_reached` by `error.type` (openai/codex codex-rs/codex-api/src/api_bridge.rs) and
 * shows as "upgrade your plan"; no window is spent, so no rate-limit headers say one is.
 */
export function sendUsageNotIncluded(res: ServerResponse, account: SimCodexAccount): void {
  account.counters.rateLimited += 1;
  sendJson(res, 429, {
    error: { type: 'usage_not_included', message: 'Codex is not included in your ChatGPT plan.', plan_type: account.plan },
  });
}

/**
 * Faults every Codex endpoint shares: its own throttling 429 (not an account limit),
 * a 5xx, a delay. Returns true when the fault was the whole answer.
 */
export async function answerCodexEndpointFault(exchange: SimExchange, fault: SimFault): Promise<boolean> {
  // `res` is read only when answering: on a WebSocket handshake it binds the raw socket.
  switch (fault.type) {
    case 'rate_limit':
      sendOpenAIError(
        exchange.res,
        429,
        { message: 'Rate limit reached. Please try again later.', type: 'rate_limit_exceeded', param: null, code: 'rate_limit_exceeded' },
        { 'retry-after': String(fault.retryAfterSeconds ?? 60) },
      );
      return true;
    case 'server_error':
      sendOpenAIError(exchange.res, fault.status ?? 500, SERVER_ERROR);
      return true;
    case 'slow':
      await sleep(fault.delayMs, exchange.signal);
      return exchange.signal.aborted;
    default:
      return false;
  }
}

/** Faults of `codex_responses` / `codex_handshake` answered before any event: the account's 429, a 401, or the shared ones. */
export async function answerCodexTurnFault(
  exchange: SimExchange,
  fault: SimFault,
  account: SimCodexAccount,
  nowMs: number,
): Promise<boolean> {
  switch (fault.type) {
    case 'rate_limit':
      sendUsageLimit(exchange.res, account, nowMs, fault.window ?? 'five_hour');
      return true;
    case 'unauthorized':
      sendCodexAuthFailure(exchange.res, fault.reason ?? 'expired');
      return true;
    default:
      return answerCodexEndpointFault(exchange, fault);
  }
}
