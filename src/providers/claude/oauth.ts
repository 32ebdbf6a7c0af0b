/**
 * Claude OAuth token refresh (as sing-box service/ccm/credential_oauth.go and
 * router-for-me/CLIProxyAPI internal/auth/claude/anthropic_auth.go send it): when to refresh, the exact
 * request Claude Code sends, and a tolerant reading of the answer. The network call is here;
 * locking and saving the result are the pool's job.
 */
import { isTokenText, parseJsonObject, postTokenRequest, type HeaderSource, type TokenRequestOptions } from '../../upstream/index.ts';
import type { ClaudeOauth } from './credential-file.ts';
import { parseUnifiedHeaders } from './ratelimit.ts';

export const CLAUDE_OAUTH_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
/** Omitting `scope` made newer tokens answer 429 forever (sing-box fix `084a6f13`). */
export const CLAUDE_REFRESH_SCOPE = 'user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload';
/**
 * Claude Code 2.1.2xx refreshes through axios 1.15.2 (a versioned Claude Code UA has been seen to
 * get 429s): axios's own header lines, in its order, and nothing else.
 */
export const CLAUDE_REFRESH_USER_AGENT = 'axios/1.15.2';
export const CLAUDE_REFRESH_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Accept', 'application/json, text/plain, */*'],
  ['Content-Type', 'application/json'],
  ['User-Agent', CLAUDE_REFRESH_USER_AGENT],
  ['Accept-Encoding', 'gzip, compress, deflate, br'],
];
/** Refresh this long before `expiresAt` (sing-box: 5 min; was 60 s before `084a6f13`). */
export const TOKEN_EXPIRY_BUFFER_MS = 5 * 60 * 1000;
const INFERENCE_SCOPE = 'user:inference';

/** `expiresAt` 0 means the token never expires (setup tokens, hand-written files). */
export function needsRefresh(oauth: ClaudeOauth, nowMs: number): boolean {
  return oauth.expiresAt !== 0 && nowMs >= oauth.expiresAt - TOKEN_EXPIRY_BUFFER_MS;
}

export function isExpired(oauth: ClaudeOauth, nowMs: number): boolean {
  return oauth.expiresAt !== 0 && nowMs >= oauth.expiresAt;
}

/**
 * Setup tokens carry no refresh token and only `user:inference`-less scopes cannot be refreshed
 * into inference tokens; both are used as they are. Missing scopes mean "unknown", not "none".
 */
export function canRefresh(oauth: ClaudeOauth): boolean {
  return oauth.refreshToken !== undefined && (oauth.scopes.length === 0 || oauth.scopes.includes(INFERENCE_SCOPE));
}

/** The 403 message that means "refresh me" (another client rotated the token), unlike a scope 403. */
export function isRevokedMessage(body: string): boolean {
  return body.includes('OAuth token has been revoked');
}

export function refreshRequestBody(oauth: ClaudeOauth): Record<string, string> {
  const scope = oauth.scopes.length === 0 || oauth.scopes.includes(INFERENCE_SCOPE) ? CLAUDE_REFRESH_SCOPE : oauth.scopes.join(' ');
  return { grant_type: 'refresh_token', refresh_token: oauth.refreshToken ?? '', client_id: CLAUDE_OAUTH_CLIENT_ID, scope };
}

export type RefreshResult =
  /** `refreshToken` undefined = the response omitted it: keep the old one. */
  | { kind: 'ok'; accessToken: string; refreshToken: string | undefined; expiresAt: number; scopes: string[] | undefined }
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  /** The refresh token is dead (consumed, revoked): only a new login helps. */
  | { kind: 'rejected'; message: string }
  /** Transport error, 5xx, garbage: worth another try later. */
  | { kind: 'failed'; message: string };

export function parseRefreshResponse(status: number, headers: HeaderSource, bodyText: string, nowMs: number): RefreshResult {
  const body = parseJsonObject(bodyText);
  if (status === 429) {
    const retryAfter = parseUnifiedHeaders(headers, Math.floor(nowMs / 1000))?.retryAfterSeconds;
    return { kind: 'rate_limited', retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000 };
  }
  if (status !== 200) {
    // Codes are compared case-insensitively: `INVALID_GRANT` has been seen from gateways in front.
    const code = oauthErrorCode(body)?.toLowerCase();
    const message = `token endpoint answered ${status}${code === undefined ? '' : ` ${code}`}`;
    // invalid_grant is the documented "refresh token consumed or revoked"; 401 is a bad client.
    return code === 'invalid_grant' || status === 401 ? { kind: 'rejected', message } : { kind: 'failed', message };
  }
  const accessToken = body?.['access_token'];
  const expiresIn = body?.['expires_in'];
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof expiresIn !== 'number' ||
    !Number.isFinite(expiresIn) ||
    expiresIn <= 0
  ) {
    return { kind: 'failed', message: 'token endpoint answered 200 without access_token/expires_in' };
  }
  const refreshToken = body?.['refresh_token'];
  // Saved to the credential file and sent in headers: a token with control characters is refused.
  if (!isTokenText(accessToken) || (typeof refreshToken === 'string' && refreshToken !== '' && !isTokenText(refreshToken))) {
    return { kind: 'failed', message: 'token endpoint answered a token that is not printable ASCII' };
  }
  const scope = body?.['scope'];
  return {
    kind: 'ok',
    accessToken,
    refreshToken: typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : undefined,
    expiresAt: nowMs + Math.round(expiresIn * 1000),
    scopes: typeof scope === 'string' && scope.trim() !== '' ? scope.trim().split(/\s+/) : undefined,
  };
}

/** One POST to the token endpoint. Never throws; never aborted by a client, only by timeout. */
export function requestTokenRefresh(oauthUrl: string, oauth: ClaudeOauth, options: TokenRequestOptions): Promise<RefreshResult> {
  const request = { body: refreshRequestBody(oauth), headers: CLAUDE_REFRESH_HEADERS };
  return postTokenRequest(oauthUrl, request, parseRefreshResponse, options);
}

/** `{"error":"invalid_grant"}` or `{"error":{"type"|"code":…}}`: both shapes are seen. */
function oauthErrorCode(body: Record<string, unknown> | undefined): string | undefined {
  const error = body?.['error'];
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object') {
    const nested = error as Record<string, unknown>;
    const code = nested['code'] ?? nested['type'];
    if (typeof code === 'string') return code;
  }
  return undefined;
}
