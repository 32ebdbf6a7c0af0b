/**
 * Codex's device-code login as codex-rs/login/src/device_code_auth.rs drives it against
 * auth.openai.com: `POST /api/accounts/deviceauth/usercode {client_id}` →
 * `{device_auth_id, user_code, interval}` (interval a *string* of seconds); the person enters the
 * code at `/codex/device`; `POST /api/accounts/deviceauth/token {device_auth_id, user_code}`
 * answers 403 until then, and afterwards `{authorization_code, code_challenge, code_verifier}`:
 * the server made the PKCE pair, and the client redeems the code at `/oauth/token` with
 * `redirect_uri = {issuer}/deviceauth/callback`. Codes last 15 minutes, as Codex's prompt says.
 */
import { newPkce } from '../../lib/index.ts';
import { sendJson, type SimExchange } from '../http.ts';
import type { SimulatorState } from '../state.ts';
import { CODEX_CLIENT_ID } from './plans.ts';
import { sendOpenAIError } from './http.ts';

function jsonBody(exchange: SimExchange): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(exchange.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function handleDeviceUserCode(exchange: SimExchange, state: SimulatorState): void {
  if (jsonBody(exchange)['client_id'] !== CODEX_CLIENT_ID) {
    return sendOpenAIError(exchange.res, 401, {
      message: 'Invalid client_id',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_client',
    });
  }
  const auth = state.deviceAuths.start(state.clock.now());
  sendJson(exchange.res, 200, {
    device_auth_id: auth.deviceAuthId,
    user_code: auth.userCode,
    interval: String(state.deviceAuths.intervalSeconds),
  });
}

export function handleDeviceToken(exchange: SimExchange, state: SimulatorState): void {
  const body = jsonBody(exchange);
  const deviceAuthId = typeof body['device_auth_id'] === 'string' ? body['device_auth_id'] : '';
  const userCode = typeof body['user_code'] === 'string' ? body['user_code'] : '';
  const nowMs = state.clock.now();
  const result = state.deviceAuths.poll(deviceAuthId, userCode, nowMs);
  if (result.kind === 'pending') {
    return sendJson(exchange.res, 403, { error: { message: 'Device authorization is pending', code: 'deviceauth_authorization_pending' } });
  }
  if (result.kind !== 'approved') {
    return sendJson(exchange.res, 410, { error: { message: `Device authorization ${result.kind}`, code: `deviceauth_${result.kind}` } });
  }
  const pkce = newPkce();
  const code = state.authorizationCodes.issue(
    {
      clientId: CODEX_CLIENT_ID,
      redirectUri: `${issuerOf(exchange)}/deviceauth/callback`,
      codeChallenge: pkce.codeChallenge,
      state: '',
      accountId: result.accountId,
      scope: 'openid profile email offline_access',
    },
    nowMs,
  );
  sendJson(exchange.res, 200, { authorization_code: code, code_challenge: pkce.codeChallenge, code_verifier: pkce.codeVerifier });
}

/** `GET /codex/device?user_code=…[&sim_account=id]`: the person enters the code and approves. */
export function handleDeviceVerify(exchange: SimExchange, state: SimulatorState): void {
  const query = exchange.url.searchParams;
  const wanted = query.get('sim_account');
  const account = wanted === null ? state.codex.accounts[0] : state.codex.accounts.find((candidate) => candidate.id === wanted);
  if (account === undefined) return sendJson(exchange.res, 400, { error: `no simulated Codex account ${wanted ?? '(none configured)'}` });
  const approved = state.deviceAuths.approve(query.get('user_code') ?? '', account.id, state.clock.now());
  if (!approved) return sendJson(exchange.res, 404, { error: 'unknown or expired code' });
  sendJson(exchange.res, 200, { approved: true, account: account.id });
}

/** The issuer a client reached, as it builds `{issuer}/deviceauth/callback` itself. */
export function issuerOf(exchange: SimExchange): string {
  return `http://${exchange.req.headers.host ?? '127.0.0.1'}`;
}
