import { afterEach, describe, expect, it } from 'vitest';
import { toUnixSeconds } from '../../../src/lib/index.ts';
import { cleanup, postResponse, START_MS, startCodexHarness } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

afterEach(cleanup);

describe('Codex usage', () => {
  it('reads a weekly-only plan from wham/usage as weekly, with the plan weight of pro', async () => {
    const weeklyResetAtMs = START_MS + 3 * 24 * 3600 * 1000;
    const { sim, clock, credential } = await startCodexHarness({
      accounts: [{ id: 'alice', plan: 'pro', isWeeklyOnly: true, weeklyUtilization: 37, weeklyResetAtMs }],
    });
    await credential.pollUsage();
    expect(sim.codexAccount('alice').counters.usage).toBe(1);
    const snapshot = credential.snapshot(clock.now());
    expect(snapshot.weekly).toEqual({ utilization: 37, resetAt: toUnixSeconds(weeklyResetAtMs) });
    expect(snapshot.fiveHour).toEqual({ utilization: 0, resetAt: 0 });
    expect(snapshot.planWeight).toBe(10);
    expect(snapshot.hasData).toBe(true);
  });

  it('polls in the background soon after start', async () => {
    const { sim, credential } = await startCodexHarness({
      accounts: [{ id: 'alice', fiveHourUtilization: 12 }],
      credential: { pollUsage: true, pollTimings: { initialDelayMs: 0 } },
    });
    await waitFor(
      () => sim.codexAccount('alice').counters.usage > 0 && credential.snapshot(START_MS).fiveHour.utilization === 12,
      'the background poll to bring 12 % five-hour usage',
    );
  });

  it('learns both windows from the x-codex-* headers of a response', async () => {
    const { sim, clock, credential } = await startCodexHarness({
      accounts: [{ id: 'alice', fiveHourUtilization: 20, weeklyUtilization: 30 }],
    });
    const response = await postResponse(credential);
    expect(response.status).toBe(200);
    credential.observe({ status: response.status, headers: response.headers }, clock.now());
    const account = sim.codexAccount('alice');
    const snapshot = credential.snapshot(clock.now());
    expect(snapshot.fiveHour.utilization).toBeCloseTo(account.fiveHourUtilization, 1);
    expect(snapshot.weekly.utilization).toBeCloseTo(account.weeklyUtilization, 1);
    expect(snapshot.fiveHour.resetAt).toBe(toUnixSeconds(account.fiveHourResetAtMs));
  });

  it('benches a 429 on the weekly window until the weekly reset, not the 5-hour one', async () => {
    const { sim, clock, credential } = await startCodexHarness();
    sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit', window: 'seven_day' } });
    const response = await postResponse(credential);
    expect(response.status).toBe(429);
    credential.observe({ status: 429, headers: response.headers, body: response.body }, clock.now());
    const snapshot = credential.snapshot(clock.now());
    expect(snapshot.state).toBe('rate_limited');
    expect(snapshot.retryAt).toBe(toUnixSeconds(sim.codexAccount('alice').weeklyResetAtMs));
    expect(credential.isUsable(clock.now())).toBe(false);
  });

  it('recovers from a 401 by refreshing, and the new token is accepted', async () => {
    const { sim, clock, credential } = await startCodexHarness();
    sim.expireCodexToken('alice');
    const refused = await postResponse(credential);
    expect(refused.status).toBe(401);
    expect(await credential.recoverAuth(401)).toBe(true);
    expect(sim.codexAccount('alice').counters.refreshes).toBe(1);
    const retried = await postResponse(credential);
    expect(retried.status).toBe(200);
    expect(credential.isUsable(clock.now())).toBe(true);
  });
});
