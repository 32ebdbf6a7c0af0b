/**
 * Codex OAuth token refresh (openai/codex codex-rs/login/src/auth/manager.rs): the request Codex
 * CLI sends and a tolerant reading of the answer. The network call is here; locking and saving are
 * the pool's job.
 */
import {
  headerReader,
  isTokenText,
  parseJsonObject,
  parseRetryAfter,
  postTokenRequest,
  type HeaderSource,
  type TokenRequestOptions,
} from '../../upstream/index.ts';
import type { CodexTokenUpdate } from './auth-file.ts';

export const CODEX_OAUTH_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
export const DEFAULT_CODEX_OAUTH_URL = 'https://auth.openai.com/oauth/token';
/** Codex's own classification (lower-cased first): these codes mean the refresh token will never work again. */
const PERMANENT_CODES = new Set(['refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated']);

export type CodexRefreshResult =
  /** Each token absent in the answer keeps its old value. */
  | ({ kind: 'ok' } & CodexTokenUpdate)
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  /** The refresh token is dead (expired, reused, invalidated, or any 401): only a new login helps. */
  | { kind: 'rejected'; message: string }
  /** Transport error, 5xx, garbage: worth another try later. */
  | { kind: 'failed'; message: string };

/** What current Codex sends: no scope (sing-box adds one; the endpoint does not need it). */
export function codexRefreshRequestBody(refreshToken: string): Record<string, string> {
  return { client_id: CODEX_OAUTH_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken };
}

export function parseCodexRefreshResponse(status: number, headers: HeaderSource, bodyText: string, nowMs: number): CodexRefreshResult {
  const body = parseJsonObject(bodyText);
  if (status === 429) {
    const retryAfter = parseRetryAfter(headerReader(headers)('retry-after'), Math.floor(nowMs / 1000));
    return { kind: 'rate_limited', retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000 };
  }
  if (status !== 200) {
    // Codex CLI lower-cases the code before classifying it (codex-rs/login/src/auth/manager.rs).
    const code = errorCode(body)?.toLowerCase();
    const message = `token endpoint answered ${status}${code === undefined ? '' : ` ${code}`}`;
    // A 400 invalid_grant is permanent too (same file, `is_invalid_grant_bad_request`).
    const isPermanent = status === 401 || (code !== undefined && PERMANENT_CODES.has(code)) || (status === 400 && code === 'invalid_grant');
    return isPermanent ? { kind: 'rejected', message } : { kind: 'failed', message };
  }
  const update: CodexTokenUpdate = {
    accessToken: nonEmpty(body?.['access_token']),
    refreshToken: nonEmpty(body?.['refresh_token']),
    idToken: nonEmpty(body?.['id_token']),
  };
  // Saved to auth.json and sent in headers: a token with control characters is refused.
  if ([update.accessToken, update.refreshToken, update.idToken].some((token) => token !== undefined && !isTokenText(token))) {
    return { kind: 'failed', message: 'token endpoint answered a token that is not printable ASCII' };
  }
  // A 200 carrying no token at all is not an answer; pretending it was would refresh in a loop.
  if (update.accessToken === undefined && update.refreshToken === undefined && update.idToken === undefined) {
    return { kind: 'failed', message: 'token endpoint answered 200 without any token' };
  }
  return { kind: 'ok', ...update };
}

/** One POST to the token endpoint. Never throws; never aborted by a client, only by timeout. */
export function requestCodexTokenRefresh(
  oauthUrl: string,
  refreshToken: string,
  options: TokenRequestOptions,
): Promise<CodexRefreshResult> {
  return postTokenRequest(oauthUrl, { body: codexRefreshRequestBody(refreshToken) }, parseCodexRefreshResponse, options);
}

/** `{"error":{"code":…}}`, `{"error":"…"}` or `{"code":…}`: all three are seen (Codex CLI parses each). */
function errorCode(body: Record<string, unknown> | undefined): string | undefined {
  const error = body?.['error'];
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object') {
    const code = (error as Record<string, unknown>)['code'];
    if (typeof code === 'string') return code;
  }
  return nonEmpty(body?.['code']);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
