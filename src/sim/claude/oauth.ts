import { answerEndpointFault } from './fault-replies.ts';
import { sendJson, type SimExchange } from '../http.ts';
import { CLAUDE_CODE_CLIENT_ID, CLAUDE_CODE_SCOPES } from './plans.ts';
import type { SimulatorState } from '../state.ts';

function oauthError(exchange: SimExchange, error: string, description: string, status = 400): void {
  sendJson(exchange.res, status, { error, error_description: description });
}

/**
 * The login's second half, as CLIProxyAPI (internal/auth/claude/anthropic_auth.go) and
 * claude-relay-service (src/utils/oauthHelper.js) send it: JSON `{grant_type:
 * "authorization_code", code, state, client_id, redirect_uri, code_verifier}`. PKCE is checked
 * (S256 of the verifier against the authorize request's challenge), and so is `state`.
 */
function handleCodeGrant(exchange: SimExchange, state: SimulatorState, body: Record<string, unknown>): void {
  const code = typeof body['code'] === 'string' ? body['code'] : '';
  const redemption = state.authorizationCodes.redeem(
    code,
    { clientId: CLAUDE_CODE_CLIENT_ID, redirectUri: body['redirect_uri'], codeVerifier: body['code_verifier'] },
    state.clock.now(),
  );
  if (redemption.kind === 'refused') return oauthError(exchange, 'invalid_grant', redemption.description);
  if (body['state'] !== redemption.grant.state)
    return oauthError(exchange, 'invalid_grant', 'state does not match the authorization request');
  const account = state.claude.account(redemption.grant.accountId);
  state.claude.logIn(account);
  sendJson(exchange.res, 200, {
    token_type: 'Bearer',
    access_token: account.accessToken,
    expires_in: Math.round(state.claude.tokenLifetimeMs / 1000),
    refresh_token: account.refreshToken,
    scope: redemption.grant.scope,
    account: { uuid: account.uuid, email_address: account.email },
    organization: { uuid: account.organizationUuid, name: account.organizationName },
  });
}

/**
 * `POST /v1/oauth/token` with the JSON body Claude Code sends (grant_type, refresh_token,
 * client_id, scope). Refresh tokens are single use: a successful refresh kills the old refresh
 * *and* access token at once, and presenting a consumed refresh token again is `invalid_grant` —
 * the race that logs out a second holder of the same credential (peers' complaint #4).
 */
export async function handleToken(exchange: SimExchange, state: SimulatorState): Promise<void> {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(exchange.body);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return oauthError(exchange, 'invalid_request', 'Request body must be a JSON object');
  }
  if (body['client_id'] !== CLAUDE_CODE_CLIENT_ID) {
    return oauthError(exchange, 'invalid_client', 'Invalid client_id', 401);
  }
  if (body['grant_type'] === 'authorization_code') return handleCodeGrant(exchange, state, body);
  if (body['grant_type'] !== 'refresh_token') {
    return oauthError(exchange, 'unsupported_grant_type', 'Only refresh_token and authorization_code grants are simulated');
  }
  const refreshToken = body['refresh_token'];
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    return oauthError(exchange, 'invalid_request', 'Missing refresh_token');
  }

  const owner = state.claude.ownerOfRefreshToken(refreshToken);
  if (owner !== undefined) owner.counters.refreshAttempts += 1;
  const fault = state.faults.take('token', owner?.id);
  if (fault !== undefined && (await answerEndpointFault(exchange, fault))) return;

  const account = state.claude.byRefreshToken(refreshToken);
  if (account === undefined) {
    return oauthError(exchange, 'invalid_grant', 'Invalid refresh token');
  }
  const keepRefreshToken = fault?.type === 'omit_refresh_token';
  state.claude.rotate(account, { keepRefreshToken });
  sendJson(exchange.res, 200, {
    token_type: 'Bearer',
    access_token: account.accessToken,
    expires_in: Math.round(state.claude.tokenLifetimeMs / 1000),
    // Absent on purpose when scripted: clients must keep the old one.
    ...(keepRefreshToken ? {} : { refresh_token: account.refreshToken }),
    scope: CLAUDE_CODE_SCOPES.join(' '),
    account: { uuid: account.uuid, email_address: account.email },
    organization: { uuid: account.organizationUuid, name: account.organizationName },
  });
}
