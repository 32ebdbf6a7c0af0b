import { afterEach, describe, expect, it } from 'vitest';
import { newPkce, s256Challenge } from '../../../src/lib/index.ts';
import { CLAUDE_CODE_CLIENT_ID, CODEX_CLIENT_ID, startSimulator, type Simulator } from '../../../src/sim/index.ts';

const CLAUDE_REDIRECT = 'https://platform.claude.com/oauth/code/callback';
const CODEX_REDIRECT = 'http://localhost:1455/auth/callback';

describe('simulated login endpoints', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function authorize(params: Record<string, string>): Promise<Response> {
    const url = new URL(sim!.authorizeUrl);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return fetch(url, { redirect: 'manual' });
  }

  async function codeFor(clientId: string, redirectUri: string, challenge: string, state = 'state-1'): Promise<string> {
    const response = await authorize({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'user:inference',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe(state);
    return location.searchParams.get('code') ?? '';
  }

  function claudeExchange(body: Record<string, string>): Promise<Response> {
    return fetch(sim!.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('refuses a Claude code with the wrong PKCE verifier, and the code is spent', async () => {
    sim = await startSimulator();
    const pkce = newPkce();
    const code = await codeFor(CLAUDE_CODE_CLIENT_ID, CLAUDE_REDIRECT, pkce.codeChallenge);
    const base = {
      grant_type: 'authorization_code',
      client_id: CLAUDE_CODE_CLIENT_ID,
      code,
      redirect_uri: CLAUDE_REDIRECT,
      state: 'state-1',
    };
    const wrong = await claudeExchange({ ...base, code_verifier: newPkce().codeVerifier });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid code_verifier' });
    const retry = await claudeExchange({ ...base, code_verifier: pkce.codeVerifier });
    expect(await retry.json()).toMatchObject({ error: 'invalid_grant', error_description: 'Invalid authorization code' });
    expect(sim.account('account-1').counters.logins).toBe(0);
  });

  it('refuses a Claude code sent back with another state or redirect, and redeems the right one', async () => {
    sim = await startSimulator();
    const pkce = newPkce();
    const exchange = async (overrides: Record<string, string>): Promise<Response> =>
      claudeExchange({
        grant_type: 'authorization_code',
        client_id: CLAUDE_CODE_CLIENT_ID,
        code: await codeFor(CLAUDE_CODE_CLIENT_ID, CLAUDE_REDIRECT, pkce.codeChallenge),
        redirect_uri: CLAUDE_REDIRECT,
        state: 'state-1',
        code_verifier: pkce.codeVerifier,
        ...overrides,
      });
    expect(await (await exchange({ state: 'other' })).json()).toMatchObject({ error: 'invalid_grant' });
    expect(await (await exchange({ redirect_uri: 'http://localhost:9/callback' })).json()).toMatchObject({ error: 'invalid_grant' });
    const ok = await exchange({});
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ access_token: sim.account('account-1').accessToken, token_type: 'Bearer' });
  });

  it('verifies S256 against the challenge the authorize request carried', async () => {
    sim = await startSimulator({ accounts: [], codexAccounts: 1 });
    const verifier = newPkce().codeVerifier;
    const code = await codeFor(CODEX_CLIENT_ID, CODEX_REDIRECT, s256Challenge(verifier));
    const form = (codeVerifier: string, withCode = code): string =>
      new URLSearchParams({
        grant_type: 'authorization_code',
        code: withCode,
        redirect_uri: CODEX_REDIRECT,
        client_id: CODEX_CLIENT_ID,
        code_verifier: codeVerifier,
      }).toString();
    const post = (body: string): Promise<Response> =>
      fetch(sim!.codexTokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const wrong = await post(form(`${verifier}x`));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_grant', message: 'Invalid code_verifier' } });
    const fresh = await codeFor(CODEX_CLIENT_ID, CODEX_REDIRECT, s256Challenge(verifier));
    const ok = await post(form(verifier, fresh));
    expect(ok.status).toBe(200);
    expect(Object.keys((await ok.json()) as object).sort()).toEqual(['access_token', 'id_token', 'refresh_token']);
  });

  it.each([
    ['an unknown client', { client_id: 'someone-else' }, 401],
    ['a redirect the client is not registered for', { redirect_uri: 'https://evil.example/callback' }, 400],
    ['the plain PKCE method', { code_challenge_method: 'plain' }, 400],
    ['no state', { state: '' }, 400],
  ])('refuses an authorize request with %s', async (_name, override, status) => {
    sim = await startSimulator();
    const response = await authorize({
      client_id: CLAUDE_CODE_CLIENT_ID,
      response_type: 'code',
      redirect_uri: CLAUDE_REDIRECT,
      scope: 'user:inference',
      code_challenge: newPkce().codeChallenge,
      code_challenge_method: 'S256',
      state: 's',
      ...override,
    });
    expect(response.status).toBe(status);
  });

  it('answers a device-code poll 403 until the code is entered, then with a code and its PKCE pair', async () => {
    sim = await startSimulator({ accounts: [], codexAccounts: 1 });
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${sim!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const started = (await (await post('/api/accounts/deviceauth/usercode', { client_id: CODEX_CLIENT_ID })).json()) as Record<
      string,
      string
    >;
    expect(started['interval']).toBe('5');
    const poll = { device_auth_id: started['device_auth_id'], user_code: started['user_code'] };
    expect((await post('/api/accounts/deviceauth/token', poll)).status).toBe(403);
    expect((await fetch(`${sim.url}/codex/device?user_code=${started['user_code'] ?? ''}`)).status).toBe(200);
    const answer = (await (await post('/api/accounts/deviceauth/token', poll)).json()) as Record<string, string>;
    expect(s256Challenge(answer['code_verifier'] ?? '')).toBe(answer['code_challenge']);
    expect((await post('/api/accounts/deviceauth/token', poll)).status).toBe(410);
  });
});
