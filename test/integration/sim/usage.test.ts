import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { UNIFIED, oauthHeaders, postMessages } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface Window {
  utilization: number;
  resets_at: string | null;
}

function get(path: string, token: string): Promise<Response> {
  return fetch(`${(sim as Simulator).url}${path}`, { headers: oauthHeaders(token) });
}

describe('GET /api/oauth/usage', () => {
  it('reports 0–100 utilization and ISO resets matching the headers', async () => {
    sim = await startSimulator({ accounts: [{ plan: 'pro', fiveHourUtilization: 40, weeklyUtilization: 10 }] });
    const token = sim.accounts[0]?.accessToken ?? '';
    const message = await postMessages(sim, token);
    const usage = (await (await get('/api/oauth/usage', token)).json()) as Record<string, unknown>;
    const fiveHour = usage['five_hour'] as Window;
    const sevenDay = usage['seven_day'] as Window;

    expect(fiveHour.utilization).toBeGreaterThan(40);
    expect(fiveHour.utilization).toBeCloseTo(Number(message.headers.get(`${UNIFIED}-5h-utilization`)) * 100, 1);
    expect(fiveHour.resets_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/);
    expect(Math.floor(Date.parse(fiveHour.resets_at ?? '') / 1000)).toBe(Number(message.headers.get(`${UNIFIED}-5h-reset`)));
    expect(Math.floor(Date.parse(sevenDay.resets_at ?? '') / 1000)).toBe(Number(message.headers.get(`${UNIFIED}-7d-reset`)));
    expect(usage['seven_day_opus']).toBeNull();
    expect(usage['extra_usage']).toMatchObject({ is_enabled: false });
    expect(sim.accounts[0]?.counters.usage).toBe(1);
  });

  it('reflects setUsage', async () => {
    sim = await startSimulator({ accounts: [{ id: 'a' }] });
    sim.setUsage('a', { fiveHourUtilization: 73, weeklyUtilization: 21 });
    const usage = (await (await get('/api/oauth/usage', sim.account('a').accessToken)).json()) as Record<string, Window>;
    expect(usage['five_hour']?.utilization).toBe(73);
    expect(usage['seven_day']?.utilization).toBe(21);
  });

  it('can be scripted to 429 with Retry-After, then answers again', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.accessToken ?? '';
    sim.script({ endpoint: 'usage', fault: { type: 'rate_limit', retryAfterSeconds: 120 } });
    const limited = await get('/api/oauth/usage', token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('120');
    expect((await get('/api/oauth/usage', token)).status).toBe(200);
  });

  it('can be scripted to 500', async () => {
    sim = await startSimulator();
    sim.script({ endpoint: 'usage', fault: { type: 'server_error' } });
    expect((await get('/api/oauth/usage', sim.accounts[0]?.accessToken ?? '')).status).toBe(500);
  });

  it('needs a valid token', async () => {
    sim = await startSimulator();
    expect((await get('/api/oauth/usage', 'sk-ant-oat01-nope')).status).toBe(401);
  });
});

describe('GET /api/oauth/profile', () => {
  it.each([
    ['max20x', 'claude_max', 'default_claude_max_20x'],
    ['pro', 'claude_pro', 'default_claude_pro'],
  ] as const)('describes a %s account', async (plan, organizationType, tier) => {
    sim = await startSimulator({ accounts: [{ plan, email: 'who@example.com' }] });
    const account = sim.accounts[0];
    const profile = (await (await get('/api/oauth/profile', account?.accessToken ?? '')).json()) as Record<string, unknown>;
    expect(profile['account']).toMatchObject({ uuid: account?.uuid, email: 'who@example.com' });
    expect(profile['organization']).toMatchObject({
      uuid: account?.organizationUuid,
      organization_type: organizationType,
      rate_limit_tier: tier,
    });
  });
});

describe('setup tokens', () => {
  it('may infer but get 403 on usage and profile', async () => {
    sim = await startSimulator({ accounts: [{ isSetupToken: true }] });
    const token = sim.accounts[0]?.accessToken ?? '';
    expect((await postMessages(sim, token)).status).toBe(200);
    for (const path of ['/api/oauth/usage', '/api/oauth/profile']) {
      const response = await get(path, token);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { type: 'permission_error' } });
    }
  });
});
