/**
 * Claude Code's login (`claude auth login` with a Claude subscription): the authorize link and
 * the code exchange as Wei-Shaw/claude-relay-service src/utils/oauthHelper.js and
 * router-for-me/CLIProxyAPI internal/auth/claude/anthropic_auth.go send them — `code=true`, the
 * public client id, PKCE S256, the paste-the-code redirect on platform.claude.com whose page shows
 * `code#state`, and a JSON exchange carrying the state again. The result is Claude Code's own
 * `.credentials.json`.
 */
import { parseJsonObject, type HeaderSource, type TokenRequestOptions } from '../../upstream/index.ts';
import {
  authorizeLink,
  existingObject,
  oauthErrorText,
  redeemCode,
  startLogin,
  type LoginEndpoints,
  type LoginResult,
  type LoginStart,
  type ProviderLogin,
} from '../login-flow.ts';
import { DEFAULT_CLAUDE_OAUTH_URL } from './default-credential.ts';
import { CLAUDE_OAUTH_CLIENT_ID, CLAUDE_REFRESH_HEADERS, parseRefreshResponse } from './oauth.ts';

export const DEFAULT_CLAUDE_AUTHORIZE_URL = 'https://claude.ai/oauth/authorize';
/** The code page a browser lands on when no local listener can take the redirect. */
export const CLAUDE_PASTE_REDIRECT_URI = 'https://platform.claude.com/oauth/code/callback';
/** What a full Claude Code login asks for (claude-relay-service `OAUTH_CONFIG.SCOPES`). */
export const CLAUDE_LOGIN_SCOPE =
  'org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload';

export function claudeAuthorizeLink(authorizeUrl: string, start: Omit<LoginStart, 'authorizeUrl'>, codeChallenge: string): string {
  return authorizeLink(authorizeUrl, [
    ['code', 'true'],
    ['client_id', CLAUDE_OAUTH_CLIENT_ID],
    ['response_type', 'code'],
    ['redirect_uri', start.redirectUri],
    ['scope', CLAUDE_LOGIN_SCOPE],
    ['code_challenge', codeChallenge],
    ['code_challenge_method', 'S256'],
    ['state', start.state],
  ]);
}

export function claudeCodeExchangeBody(start: LoginStart, code: string): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    client_id: CLAUDE_OAUTH_CLIENT_ID,
    code,
    redirect_uri: start.redirectUri,
    code_verifier: start.codeVerifier,
    state: start.state,
  };
}

export function parseClaudeLoginResponse(status: number, headers: HeaderSource, bodyText: string, nowMs: number): LoginResult {
  const body = parseJsonObject(bodyText);
  if (status !== 200) return { kind: 'refused', message: oauthErrorText(status, body) };
  const tokens = parseRefreshResponse(status, headers, bodyText, nowMs);
  if (tokens.kind !== 'ok')
    return { kind: 'refused', message: tokens.kind === 'rate_limited' ? 'token endpoint answered 429' : tokens.message };
  if (tokens.refreshToken === undefined) return { kind: 'refused', message: 'token endpoint answered 200 without a refresh_token' };
  const account = body?.['account'];
  const email = account !== null && typeof account === 'object' ? (account as Record<string, unknown>)['email_address'] : undefined;
  const update = {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
    scopes: tokens.scopes ?? CLAUDE_LOGIN_SCOPE.split(' '),
  };
  return {
    kind: 'ok',
    account: typeof email === 'string' ? email : undefined,
    fileText: (existingText) => {
      const raw = existingObject(existingText, 'a Claude credential file');
      const previous = raw['claudeAiOauth'];
      const oauth = previous !== null && typeof previous === 'object' && !Array.isArray(previous) ? previous : {};
      // subscriptionType/rateLimitTier of a re-login stay; a new file has none and the node reads the profile.
      return `${JSON.stringify({ ...raw, claudeAiOauth: { ...oauth, ...update } }, null, 2)}\n`;
    },
  };
}

export const claudeLogin: ProviderLogin = {
  defaultPath: '~/.claude/.credentials.json',
  defaultEndpoints: { authorizeUrl: DEFAULT_CLAUDE_AUTHORIZE_URL, tokenUrl: DEFAULT_CLAUDE_OAUTH_URL },
  pasteRedirectUri: CLAUDE_PASTE_REDIRECT_URI,
  loopbackRedirectUri: (port) => `http://localhost:${port}/callback`,
  // Claude Code listens on a random port; there is no fixed one to prefer.
  defaultLoopbackPort: 0,
  start(endpoints: LoginEndpoints, redirectUri: string): LoginStart {
    return startLogin(endpoints.authorizeUrl, redirectUri, claudeAuthorizeLink);
  },
  exchange(endpoints: LoginEndpoints, start: LoginStart, code: string, options: TokenRequestOptions): Promise<LoginResult> {
    const request = { body: claudeCodeExchangeBody(start, code), headers: CLAUDE_REFRESH_HEADERS };
    return redeemCode(endpoints.tokenUrl, request, parseClaudeLoginResponse, options);
  },
};
