import { answerCodexEndpointFault, sendOpenAIError } from './http.ts';
import { CODEX_CLIENT_ID } from './plans.ts';
import { sendJson, type SimExchange } from '../http.ts';
import type { SimulatorState } from '../state.ts';

/** Codex sends JSON, CLIProxyAPI the same fields form-encoded: accept both. */
function parseTokenRequest(exchange: SimExchange): Record<string, unknown> | undefined {
  const contentType = String(exchange.req.headers['content-type'] ?? '');
  if (contentType.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(exchange.body));
  }
  try {
    const parsed: unknown = JSON.parse(exchange.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tokenError(exchange: SimExchange, status: number, code: string, message: string): void {
  sendOpenAIError(exchange.res, status, { message, type: 'invalid_request_error', param: null, code });
}

/**
 * The code exchange of codex-rs/login/src/server.rs (`exchange_code_for_tokens`): form-encoded
 * `grant_type=authorization_code&code&redirect_uri&client_id&code_verifier`, answered with
 * `{id_token, access_token, refresh_token}`. PKCE is checked against the authorize request's (or
 * the device flow's) challenge.
 */
function handleCodeGrant(exchange: SimExchange, state: SimulatorState, body: Record<string, unknown>): void {
  const code = typeof body['code'] === 'string' ? body['code'] : '';
  const redemption = state.authorizationCodes.redeem(
    code,
    { clientId: CODEX_CLIENT_ID, redirectUri: body['redirect_uri'], codeVerifier: body['code_verifier'] },
    state.clock.now(),
  );
  if (redemption.kind === 'refused') return tokenError(exchange, 400, 'invalid_grant', redemption.description);
  const account = state.codex.account(redemption.grant.accountId);
  state.codex.logIn(account);
  sendJson(exchange.res, 200, { id_token: account.idToken, access_token: account.accessToken, refresh_token: account.refreshToken });
}

/**
 * `POST /oauth/token` of auth.openai.com. Refresh tokens are single use: a success retires the
 * old refresh token and access token at once; presenting a retired one is 401
 * `refresh_token_reused`, an unknown or revoked one 401 `refresh_token_invalidated` — codes
 * Codex classifies as permanent (codex-rs/login/src/auth/manager.rs).
 */
export async function handleCodexToken(exchange: SimExchange, state: SimulatorState): Promise<void> {
  const body = parseTokenRequest(exchange);
  if (body === undefined) return tokenError(exchange, 400, 'invalid_request', 'Request body must be JSON or form-encoded');
  if (body['client_id'] !== CODEX_CLIENT_ID) return tokenError(exchange, 401, 'invalid_client', 'Invalid client_id');
  if (body['grant_type'] === 'authorization_code') return handleCodeGrant(exchange, state, body);
  if (body['grant_type'] !== 'refresh_token') {
    return tokenError(exchange, 400, 'unsupported_grant_type', 'Only refresh_token and authorization_code grants are simulated');
  }
  const refreshToken = body['refresh_token'];
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    return tokenError(exchange, 400, 'invalid_request', 'Missing refresh_token');
  }

  const owner = state.codex.ownerOfRefreshToken(refreshToken);
  if (owner !== undefined) owner.account.counters.refreshAttempts += 1;
  const fault = state.faults.take('codex_token', owner?.account.id);
  if (fault !== undefined && (await answerCodexEndpointFault(exchange, fault))) return;

  if (owner?.isRetired === true) {
    return tokenError(exchange, 401, 'refresh_token_reused', 'Your refresh token has already been used to generate a new access token.');
  }
  if (owner === undefined || owner.account.isRevoked) {
    return tokenError(exchange, 401, 'refresh_token_invalidated', 'Your refresh token has been invalidated.');
  }
  const { account } = owner;
  const keepRefreshToken = fault?.type === 'omit_refresh_token';
  state.codex.rotate(account, { keepRefreshToken });
  sendJson(exchange.res, 200, {
    id_token: account.idToken,
    access_token: account.accessToken,
    // Absent on purpose when scripted: clients must keep the old one.
    ...(keepRefreshToken ? {} : { refresh_token: account.refreshToken }),
  });
}
