import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { postMessages, refresh } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
  account: { uuid: string; email_address: string };
  organization: { uuid: string; name: string };
}

describe('POST /v1/oauth/token', () => {
  it('rotates both tokens and kills the old access token', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: [{ id: 'alice', email: 'alice@example.com' }] });
    const account = sim.account('alice');
    const oldAccess = account.accessToken;
    const oldRefresh = account.refreshToken;
    clock.advance(1000);

    const response = await refresh(sim, oldRefresh);
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenResponse;
    expect(body).toMatchObject({
      expires_in: 28_800,
      token_type: 'Bearer',
      account: { uuid: account.uuid, email_address: 'alice@example.com' },
      organization: { uuid: account.organizationUuid },
    });
    expect(body.access_token).toMatch(/^sk-ant-oat01-/);
    expect(body.refresh_token).toMatch(/^sk-ant-ort01-/);
    expect(body.access_token).not.toBe(oldAccess);
    expect(body.refresh_token).not.toBe(oldRefresh);
    expect(sim.account('alice')).toMatchObject({
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: clock.now() + 8 * 60 * 60 * 1000,
    });
    expect((await postMessages(sim, oldAccess)).status).toBe(401);
    expect((await postMessages(sim, body.access_token)).status).toBe(200);
  });

  it('answers invalid_grant when a consumed refresh token is reused', async () => {
    sim = await startSimulator();
    const oldRefresh = sim.accounts[0]?.refreshToken ?? '';
    expect((await refresh(sim, oldRefresh)).status).toBe(200);
    const reuse = await refresh(sim, oldRefresh);
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    expect(sim.accounts[0]?.counters).toMatchObject({ refreshes: 1, refreshAttempts: 2 });
  });

  it('lets exactly one of a concurrent burst win', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.refreshToken ?? '';
    const statuses = await Promise.all(Array.from({ length: 5 }, async () => (await refresh(sim as Simulator, token)).status));
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(4);
    expect(sim.accounts[0]?.counters.refreshes).toBe(1);
  });

  it('insists on the Claude Code client id', async () => {
    sim = await startSimulator();
    const response = await refresh(sim, sim.accounts[0]?.refreshToken ?? '', 'someone-else');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    expect(sim.accounts[0]?.counters.refreshes).toBe(0);
  });

  it('can be scripted to 429 with Retry-After without consuming the token', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.refreshToken ?? '';
    sim.script({ endpoint: 'token', fault: { type: 'rate_limit', retryAfterSeconds: 30 } });
    const limited = await refresh(sim, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect((await refresh(sim, token)).status).toBe(200);
  });

  it('can omit refresh_token, leaving the old one valid', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.refreshToken ?? '';
    sim.script({ endpoint: 'token', fault: { type: 'omit_refresh_token' } });
    const body = (await (await refresh(sim, token)).json()) as TokenResponse;
    expect(body.access_token).toMatch(/^sk-ant-oat01-/);
    expect(body.refresh_token).toBeUndefined();
    expect((await refresh(sim, token)).status).toBe(200);
  });

  it('has no refresh for a setup token', async () => {
    sim = await startSimulator({ accounts: [{ isSetupToken: true }] });
    expect((await refresh(sim, 'sk-ant-ort01-none')).status).toBe(400);
  });
});
