import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { decodeJwtPayload, startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { codexAuthHeaders, postResponses, refreshCodex } from './codex-fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface CodexTokenResponse {
  id_token: string;
  access_token: string;
  refresh_token?: string;
}

describe('POST /oauth/token (Codex)', () => {
  it.each([
    ['JSON', false],
    ['form-encoded', true],
  ])('rotates all three tokens from a %s body', async (_name, form) => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: 0, codexAccounts: [{ id: 'c', plan: 'pro', email: 'c@example.com' }] });
    const before = { ...sim.codexAccount('c') };
    clock.advance(60_000);
    const response = await refreshCodex(sim, before.refreshToken, { form });
    expect(response.status).toBe(200);
    const body = (await response.json()) as CodexTokenResponse;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'id_token', 'refresh_token']);
    expect(body.access_token).not.toBe(before.accessToken);
    expect(body.refresh_token).not.toBe(before.refreshToken);
    expect(decodeJwtPayload(body.access_token)?.['exp']).toBe(Math.floor(sim.codexAccount('c').expiresAt / 1000));
    expect(decodeJwtPayload(body.id_token)?.['https://api.openai.com/auth']).toMatchObject({
      chatgpt_account_id: before.accountId,
      chatgpt_plan_type: 'pro',
    });
    expect(sim.codexAccount('c')).toMatchObject({ accessToken: body.access_token, lastRefreshAtMs: clock.now() });
    expect(sim.codexAccount('c').counters).toMatchObject({ refreshes: 1, refreshAttempts: 1 });

    expect((await postResponses(sim, codexAuthHeaders(before))).status).toBe(401);
    expect((await postResponses(sim, codexAuthHeaders(sim.codexAccount('c')))).status).toBe(200);
  });

  it('answers 401 refresh_token_reused when a consumed refresh token comes back', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const old = sim.codexAccounts[0]?.refreshToken ?? '';
    expect((await refreshCodex(sim, old)).status).toBe(200);
    const reuse = await refreshCodex(sim, old);
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toMatchObject({ error: { code: 'refresh_token_reused', message: expect.any(String) } });
    expect(sim.codexAccounts[0]?.counters).toMatchObject({ refreshes: 1, refreshAttempts: 2 });
  });

  it('lets exactly one of a concurrent burst win', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const token = sim.codexAccounts[0]?.refreshToken ?? '';
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await refreshCodex(sim as Simulator, token)).status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(4);
  });

  it('answers 401 refresh_token_invalidated for an unknown or revoked token', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const unknown = await refreshCodex(sim, 'rt_nobody');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 'refresh_token_invalidated' } });
    sim.revokeCodexToken('c');
    const revoked = await refreshCodex(sim, sim.codexAccount('c').refreshToken);
    expect(await revoked.json()).toMatchObject({ error: { code: 'refresh_token_invalidated' } });
  });

  it('insists on the Codex client id', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const response = await refreshCodex(sim, sim.codexAccounts[0]?.refreshToken ?? '', { clientId: 'someone-else' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_client' } });
  });

  it('can be scripted to 429 with Retry-After or 5xx without consuming the token', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const token = sim.codexAccounts[0]?.refreshToken ?? '';
    sim.script([
      { endpoint: 'codex_token', fault: { type: 'rate_limit', retryAfterSeconds: 30 } },
      { endpoint: 'codex_token', fault: { type: 'server_error', status: 502 } },
    ]);
    const limited = await refreshCodex(sim, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect((await refreshCodex(sim, token)).status).toBe(502);
    expect((await refreshCodex(sim, token)).status).toBe(200);
  });

  it('omits refresh_token when scripted, and the old one keeps working', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const token = sim.codexAccounts[0]?.refreshToken ?? '';
    sim.script({ endpoint: 'codex_token', fault: { type: 'omit_refresh_token' } });
    const first = (await (await refreshCodex(sim, token)).json()) as CodexTokenResponse;
    expect(first.refresh_token).toBeUndefined();
    expect((await refreshCodex(sim, token)).status).toBe(200);
  });
});
