/**
 * Codex CLI's browser login (`codex login`), as openai/codex codex-rs/login/src/server.rs runs
 * it: the authorize link on auth.openai.com with PKCE S256 and its Codex-only parameters
 * (`id_token_add_organizations`, `codex_cli_simplified_flow`, `originator`), the loopback
 * redirect `http://localhost:1455/auth/callback` (the only kind the client id is registered for),
 * and the form-encoded code exchange. On a machine without a browser the person opens the link
 * elsewhere and pastes the URL the browser failed to load. The result is Codex's own auth.json
 * (`auth_mode`, `OPENAI_API_KEY`, `tokens`, `last_refresh`; codex-rs/login/src/auth/storage.rs).
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
import { decodeJwtPayload, OPENAI_AUTH_CLAIM } from './auth-file.ts';
import { CODEX_OAUTH_CLIENT_ID, DEFAULT_CODEX_OAUTH_URL, parseCodexRefreshResponse } from './oauth.ts';

export const DEFAULT_CODEX_AUTHORIZE_URL = 'https://auth.openai.com/oauth/authorize';
export const CODEX_LOGIN_SCOPE = 'openid profile email offline_access api.connectors.read api.connectors.invoke';
/** Codex CLI's `originator` (codex-rs/login/src/auth/default_client.rs). */
export const CODEX_ORIGINATOR = 'codex_cli_rs';
export const CODEX_LOOPBACK_PORT = 1455;

export function codexAuthorizeLink(authorizeUrl: string, start: Omit<LoginStart, 'authorizeUrl'>, codeChallenge: string): string {
  return authorizeLink(authorizeUrl, [
    ['response_type', 'code'],
    ['client_id', CODEX_OAUTH_CLIENT_ID],
    ['redirect_uri', start.redirectUri],
    ['scope', CODEX_LOGIN_SCOPE],
    ['code_challenge', codeChallenge],
    ['code_challenge_method', 'S256'],
    ['id_token_add_organizations', 'true'],
    ['codex_cli_simplified_flow', 'true'],
    ['state', start.state],
    ['originator', CODEX_ORIGINATOR],
  ]);
}

export function codexCodeExchangeBody(redirectUri: string, codeVerifier: string, code: string): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: CODEX_OAUTH_CLIENT_ID,
    code_verifier: codeVerifier,
  };
}

export function parseCodexLoginResponse(status: number, headers: HeaderSource, bodyText: string, nowMs: number): LoginResult {
  const body = parseJsonObject(bodyText);
  if (status !== 200) return { kind: 'refused', message: oauthErrorText(status, body) };
  const tokens = parseCodexRefreshResponse(status, headers, bodyText, nowMs);
  if (tokens.kind !== 'ok')
    return { kind: 'refused', message: tokens.kind === 'rate_limited' ? 'token endpoint answered 429' : tokens.message };
  const { accessToken, refreshToken, idToken } = tokens;
  // Codex's own exchange fails unless all three come back (server.rs `TokenResponse`).
  if (accessToken === undefined || refreshToken === undefined || idToken === undefined) {
    return { kind: 'refused', message: 'token endpoint answered 200 without id_token, access_token and refresh_token' };
  }
  const idClaims = decodeJwtPayload(idToken);
  const authClaim = idClaims?.[OPENAI_AUTH_CLAIM];
  const accountId =
    authClaim !== null && typeof authClaim === 'object' ? (authClaim as Record<string, unknown>)['chatgpt_account_id'] : undefined;
  const email = idClaims?.['email'];
  return {
    kind: 'ok',
    account: typeof email === 'string' ? email : undefined,
    fileText: (existingText, nowMs) => {
      const raw = existingObject(existingText, 'a Codex auth.json');
      const previous = raw['tokens'];
      const kept = previous !== null && typeof previous === 'object' && !Array.isArray(previous) ? previous : {};
      const fresh = { id_token: idToken, access_token: accessToken, refresh_token: refreshToken };
      const tokensField = { ...kept, ...fresh, ...(typeof accountId === 'string' ? { account_id: accountId } : {}) };
      return `${JSON.stringify(
        {
          OPENAI_API_KEY: null,
          ...raw,
          auth_mode: 'chatgpt',
          tokens: tokensField,
          last_refresh: new Date(nowMs).toISOString(),
        },
        null,
        2,
      )}\n`;
    },
  };
}

export function exchangeCodexCode(
  tokenUrl: string,
  redirectUri: string,
  codeVerifier: string,
  code: string,
  options: TokenRequestOptions,
): Promise<LoginResult> {
  const request = { body: codexCodeExchangeBody(redirectUri, codeVerifier, code), encoding: 'form' as const };
  return redeemCode(tokenUrl, request, parseCodexLoginResponse, options);
}

export const codexLogin: ProviderLogin = {
  defaultPath: '~/.codex/auth.json',
  defaultEndpoints: { authorizeUrl: DEFAULT_CODEX_AUTHORIZE_URL, tokenUrl: DEFAULT_CODEX_OAUTH_URL },
  pasteRedirectUri: undefined,
  loopbackRedirectUri: (port) => `http://localhost:${port}/auth/callback`,
  defaultLoopbackPort: CODEX_LOOPBACK_PORT,
  start(endpoints: LoginEndpoints, redirectUri: string): LoginStart {
    return startLogin(endpoints.authorizeUrl, redirectUri, codexAuthorizeLink);
  },
  exchange: (endpoints, start, code, options) =>
    exchangeCodexCode(endpoints.tokenUrl, start.redirectUri, start.codeVerifier, code, options),
};
