import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/lib/index.ts';
import { cleanup, startHarness } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

afterEach(cleanup);

async function rateLimitedByScript(harness: Awaited<ReturnType<typeof startHarness>>, clock: ManualClock): Promise<void> {
  const { sim, credential } = harness;
  sim.script({ fault: { type: 'rate_limit', window: 'five_hour' } });
  const response = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.account('alice').accessToken}`, 'anthropic-beta': 'oauth-2025-04-20' },
    body: '{"model":"claude-sonnet-5","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}',
  });
  credential.observe({ status: response.status, headers: Object.fromEntries(response.headers.entries()) }, clock.now());
}

describe('usage polling', () => {
  it('fills usage from the usage endpoint', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock, accounts: [{ id: 'alice', fiveHourUtilization: 40, weeklyUtilization: 60 }] });
    await credential.pollUsage();
    const snapshot = credential.snapshot(clock.now());
    expect(snapshot).toMatchObject({ hasData: true, fiveHour: { utilization: 40 }, weekly: { utilization: 60 } });
    expect(snapshot.fiveHour.resetAt).toBe(Math.floor(sim.account('alice').fiveHourResetAtMs / 1000));
    expect(credential.persistentState().lastUpdatedMs).toBe(clock.now());
  });

  it('ends a rate-limit cooldown early when the poll shows capacity', async () => {
    const clock = new ManualClock();
    const harness = await startHarness({ clock, accounts: [{ id: 'alice', fiveHourUtilization: 20 }] });
    await rateLimitedByScript(harness, clock);
    expect(harness.credential.snapshot(clock.now()).state).toBe('rate_limited');
    await harness.credential.pollUsage();
    expect(harness.credential.isUsable(clock.now())).toBe(true);
  });

  it('keeps the cooldown when the poll confirms the window is spent', async () => {
    const clock = new ManualClock();
    const harness = await startHarness({ clock, accounts: [{ id: 'alice', fiveHourUtilization: 100 }] });
    await rateLimitedByScript(harness, clock);
    await harness.credential.pollUsage();
    expect(harness.credential.isUsable(clock.now())).toBe(false);
  });

  it('does not treat a usage-endpoint 429 as an account limit', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    sim.script({ endpoint: 'usage', fault: { type: 'rate_limit', retryAfterSeconds: 30 } });
    await credential.pollUsage();
    expect(sim.account('alice').counters.usage).toBe(1);
    expect(credential.isUsable(clock.now())).toBe(true);
    expect(credential.snapshot(clock.now()).state).toBe('usable');
  });

  it('recovers auth once when the usage endpoint answers 401, then retries', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock, accounts: [{ id: 'alice', weeklyUtilization: 12 }] });
    sim.expireToken('alice');
    await credential.pollUsage();
    expect(sim.account('alice').counters.refreshes).toBe(1);
    expect(credential.snapshot(clock.now())).toMatchObject({ hasData: true, weekly: { utilization: 12 } });
  });

  it('learns the plan weight from the profile when the file does not name it', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock, fileOverrides: { subscriptionType: null, rateLimitTier: null } });
    expect(credential.planWeight).toBe(1);
    await credential.pollUsage();
    expect(sim.account('alice').counters.profile).toBe(1);
    expect(credential.planWeight).toBe(10);
    await credential.pollUsage();
    expect(sim.account('alice').counters.profile).toBe(1);
  });

  it('lets a setup token stay usable when usage and profile answer 403', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({
      clock,
      accounts: [{ id: 'alice', isSetupToken: true }],
      fileOverrides: { subscriptionType: null, rateLimitTier: null },
    });
    await credential.pollUsage();
    expect(sim.account('alice').counters).toMatchObject({ usage: 1, profile: 1 });
    expect(credential.isUsable(clock.now())).toBe(true);
    expect(credential.planWeight).toBe(1);
  });

  it('polls in the background soon after start, without any request', async () => {
    const { sim, credential } = await startHarness({
      clock: systemClock,
      accounts: [{ id: 'alice', weeklyUtilization: 33 }],
      credential: { pollUsage: true, pollTimings: { initialDelayMs: 0 } },
    });
    await waitFor(() => credential.snapshot(systemClock.now()).hasData, 'the background usage poll');
    expect(credential.snapshot(systemClock.now()).weekly.utilization).toBe(33);
    expect(sim.account('alice').counters.usage).toBe(1);
  });

  it('backs off and retries after failed polls until one succeeds', async () => {
    const { sim, credential } = await startHarness({
      clock: systemClock,
      accounts: [{ id: 'alice', weeklyUtilization: 5 }],
      credential: { pollUsage: true, pollTimings: { initialDelayMs: 0, backoffBaseMs: 5, backoffMaxMs: 20 } },
    });
    sim.script({ endpoint: 'usage', times: 3, fault: { type: 'server_error' } });
    await waitFor(() => credential.snapshot(systemClock.now()).hasData, 'a usage poll to succeed after the failures');
    expect(sim.account('alice').counters.usage).toBe(4);
    expect(credential.isUsable(systemClock.now())).toBe(true);
  });
});
