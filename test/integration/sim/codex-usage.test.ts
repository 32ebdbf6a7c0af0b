import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { codexAuthHeaders } from './codex-fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function getUsage(headers: Record<string, string>): Promise<Response> {
  return fetch((sim as Simulator).codexUsageUrl, { headers });
}

describe('GET /backend-api/wham/usage', () => {
  it('answers the wham/usage payload with a 5-hour primary and weekly secondary', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({
      clock,
      accounts: 0,
      codexAccounts: [
        { id: 'c', plan: 'plus', fiveHourUtilization: 42.4, weeklyUtilization: 7, credits: { hasCredits: true, balance: '9.99' } },
      ],
    });
    const account = sim.codexAccount('c');
    const response = await getUsage(codexAuthHeaders(account));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      plan_type: 'plus',
      rate_limit: {
        allowed: true,
        limit_reached: false,
        primary_window: {
          used_percent: 42,
          limit_window_seconds: 18_000,
          reset_after_seconds: 18_000,
          reset_at: Math.floor(account.fiveHourResetAtMs / 1000),
        },
        secondary_window: { used_percent: 7, limit_window_seconds: 604_800, reset_after_seconds: 604_800 },
      },
      credits: { has_credits: true, unlimited: false, balance: '9.99' },
      additional_rate_limits: null,
      rate_limit_reached_type: null,
    });
    expect(sim.codexAccount('c').counters.usage).toBe(1);
  });

  it('reports a weekly-only plan with a weekly primary and no secondary', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'w', plan: 'pro', isWeeklyOnly: true }] });
    const body = (await (await getUsage(codexAuthHeaders(sim.codexAccount('w')))).json()) as { rate_limit: unknown };
    expect(body.rate_limit).toMatchObject({ primary_window: { limit_window_seconds: 604_800 }, secondary_window: null });
  });

  it('says limit_reached when a window is full', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c', weeklyUtilization: 100 }] });
    expect(await (await getUsage(codexAuthHeaders(sim.codexAccount('c')))).json()).toMatchObject({
      rate_limit: { allowed: false, limit_reached: true, secondary_window: { used_percent: 100 } },
      rate_limit_reached_type: { type: 'rate_limit_reached' },
    });
  });

  it('needs the matching ChatGPT-Account-Id', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const response = await getUsage({ ...codexAuthHeaders(sim.codexAccount('c')), 'chatgpt-account-id': 'x' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'account_mismatch' } });
  });

  it('can be scripted to 429 and 5xx of its own', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    sim.script([
      { endpoint: 'codex_usage', fault: { type: 'rate_limit', retryAfterSeconds: 12 } },
      { endpoint: 'codex_usage', fault: { type: 'server_error', status: 503 } },
    ]);
    const headers = codexAuthHeaders(sim.codexAccount('c'));
    const limited = await getUsage(headers);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    expect(await limited.json()).toMatchObject({ error: { type: 'rate_limit_exceeded' } });
    expect((await getUsage(headers)).status).toBe(503);
    expect((await getUsage(headers)).status).toBe(200);
  });
});
