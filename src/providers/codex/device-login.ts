/**
 * Codex's device-code login (`codex login --device-auth`), as openai/codex
 * codex-rs/login/src/device_code_auth.rs runs it. The issuer is the authorize URL's origin
 * (`https://auth.openai.com`): ask `{issuer}/api/accounts/deviceauth/usercode` for a code, show
 * it with `{issuer}/codex/device`, poll `{issuer}/api/accounts/deviceauth/token` (403 or 404 =
 * not yet) every `interval` seconds for at most 15 minutes, then redeem the authorization code it
 * returns with the PKCE pair the server made and `redirect_uri = {issuer}/deviceauth/callback`.
 */
import { sleep } from '../../lib/index.ts';
import { parseJsonObject, postTokenRequest, type TokenRequestOptions } from '../../upstream/index.ts';
import { oauthErrorText, type LoginEndpoints, type LoginResult } from '../login-flow.ts';
import { exchangeCodexCode } from './login.ts';
import { CODEX_OAUTH_CLIENT_ID } from './oauth.ts';

export const DEVICE_CODE_MAX_WAIT_MS = 15 * 60 * 1000;
/** A server asking for a poll every 0 s (or every hour) is not obeyed literally. */
const MIN_INTERVAL_MS = 1000;
const MAX_INTERVAL_MS = 60_000;
const JSON_HEADERS: ReadonlyArray<readonly [string, string]> = [['Content-Type', 'application/json']];

export interface DeviceCode {
  verificationUrl: string;
  userCode: string;
  deviceAuthId: string;
  intervalMs: number;
}

export function codexIssuer(endpoints: LoginEndpoints): string {
  return new URL(endpoints.authorizeUrl).origin;
}

export async function requestDeviceCode(endpoints: LoginEndpoints, options: TokenRequestOptions): Promise<DeviceCode | { error: string }> {
  const issuer = codexIssuer(endpoints);
  const result = await postTokenRequest(
    `${issuer}/api/accounts/deviceauth/usercode`,
    { body: { client_id: CODEX_OAUTH_CLIENT_ID }, headers: JSON_HEADERS },
    (status, _headers, text) => ({ kind: 'answer' as const, status, body: parseJsonObject(text) }),
    options,
  );
  if (result.kind === 'failed') return { error: result.message };
  if (result.status === 404) return { error: 'device-code login is not enabled on this server; use the browser login' };
  if (result.status !== 200) return { error: `device code request: ${oauthErrorText(result.status, result.body)}` };
  const deviceAuthId = result.body?.['device_auth_id'];
  const userCode = result.body?.['user_code'] ?? result.body?.['usercode'];
  if (typeof deviceAuthId !== 'string' || typeof userCode !== 'string' || deviceAuthId === '' || userCode === '') {
    return { error: 'device code request answered without device_auth_id and user_code' };
  }
  // Shown to a person and sent back as is: a short printable code, or not a code at all.
  if (!/^[\x21-\x7e]{1,64}$/.test(userCode) || deviceAuthId.length > 512)
    return { error: 'device code request answered a code that cannot be shown' };
  // Codex parses `interval` from a string; a number is read too.
  const seconds = Number(String(result.body?.['interval'] ?? '').trim() || '5');
  const intervalMs = Number.isFinite(seconds) ? Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, seconds * 1000)) : 5000;
  return { verificationUrl: `${issuer}/codex/device`, userCode, deviceAuthId, intervalMs };
}

/** Polls until the person approved, then redeems the code. `signal` ends the wait early. */
export async function completeDeviceCode(
  endpoints: LoginEndpoints,
  device: DeviceCode,
  options: TokenRequestOptions & { signal?: AbortSignal; maxWaitMs?: number },
): Promise<LoginResult> {
  const issuer = codexIssuer(endpoints);
  const startedMs = options.nowMs();
  const maxWaitMs = options.maxWaitMs ?? DEVICE_CODE_MAX_WAIT_MS;
  for (;;) {
    if (options.signal?.aborted === true) return { kind: 'refused', message: 'device-code login cancelled' };
    const result = await postTokenRequest(
      `${issuer}/api/accounts/deviceauth/token`,
      { body: { device_auth_id: device.deviceAuthId, user_code: device.userCode }, headers: JSON_HEADERS },
      (status, _headers, text) => ({ kind: 'answer' as const, status, body: parseJsonObject(text) }),
      options,
    );
    if (result.kind === 'failed') return { kind: 'refused', message: result.message };
    if (result.status === 200) {
      const code = result.body?.['authorization_code'];
      const verifier = result.body?.['code_verifier'];
      if (typeof code !== 'string' || typeof verifier !== 'string' || code === '' || verifier === '') {
        return { kind: 'refused', message: 'device token answered without authorization_code and code_verifier' };
      }
      return exchangeCodexCode(endpoints.tokenUrl, `${issuer}/deviceauth/callback`, verifier, code, options);
    }
    if (result.status !== 403 && result.status !== 404) {
      return { kind: 'refused', message: `device authorization failed: ${oauthErrorText(result.status, result.body)}` };
    }
    if (options.nowMs() - startedMs >= maxWaitMs) return { kind: 'refused', message: 'device authorization timed out after 15 minutes' };
    await sleep(device.intervalMs, options.signal);
  }
}
