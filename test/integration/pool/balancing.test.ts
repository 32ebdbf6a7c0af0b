import { afterEach, describe, expect, it } from 'vitest';
import { startPoolHarness, type PoolHarness, type PoolHarnessOptions } from './pool-harness.ts';

describe('balancing through a node against the simulator', () => {
  let harness: PoolHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: PoolHarnessOptions): Promise<PoolHarness> {
    harness = await startPoolHarness(options);
    return harness;
  }

  /** Teaches the node every account's real usage, one direct request each. */
  async function learnUsage(h: PoolHarness): Promise<void> {
    for (const account of h.sim.accounts) expect(await h.send({ as: account.id })).toBe(200);
  }

  it('least-used sends new sessions to the larger, less used account', async () => {
    const h = await start({
      accounts: [
        { id: 'busy-max', plan: 'max20x', weeklyUtilization: 95 },
        { id: 'pro', plan: 'pro', weeklyUtilization: 10 },
        { id: 'free-max', plan: 'max20x', weeklyUtilization: 40 },
      ],
    });
    await learnUsage(h);
    // Scores (cap 99): busy-max 4 × 10, pro 89 × 1, free-max 59 × 10.
    const served = await h.servedBy(async () => {
      for (const session of ['s1', 's2', 's3']) expect(await h.send({ session })).toBe(200);
      expect(await h.send()).toBe(200);
    });
    expect(served).toEqual(['free-max']);
  });

  it('a session stays pinned while another account looks better, and moves when its account is rate-limited', async () => {
    const h = await start({
      accounts: [
        { id: 'a', plan: 'max20x' },
        { id: 'b', plan: 'max20x' },
      ],
      balancer: { rebalance_threshold: 0 },
    });
    await learnUsage(h);
    expect(await h.servedBy(() => h.send({ session: 'pinned' }))).toEqual(['a']);

    h.sim.setUsage('a', { weeklyUtilization: 80 });
    expect(await h.servedBy(() => h.send({ session: 'pinned' }))).toEqual(['a']);
    // The node now knows a is at 80 %: a new session goes to b, the pinned one stays on a.
    expect(await h.servedBy(() => h.send({ session: 'fresh' }))).toEqual(['b']);
    expect(await h.servedBy(() => h.send({ session: 'pinned' }))).toEqual(['a']);

    h.sim.script({ account: 'a', fault: { type: 'rate_limit', window: 'five_hour' } });
    const rateLimitedBefore = h.sim.account('a').counters.rateLimited;
    let status = 0;
    const failedOver = await h.servedBy(async () => {
      status = await h.send({ session: 'pinned' });
    });
    expect(status).toBe(200);
    expect(failedOver).toEqual(['a', 'b']);
    expect(h.sim.account('a').counters.rateLimited).toBe(rateLimitedBefore + 1);
    expect(await h.servedBy(() => h.send({ session: 'pinned' }))).toEqual(['b']);
  });

  it('a credential at its limit_weekly receives no traffic once its usage is known', async () => {
    const h = await start({
      accounts: [
        { id: 'capped', plan: 'max20x', weeklyUtilization: 50 },
        { id: 'open', plan: 'pro', weeklyUtilization: 90 },
      ],
      credentialExtras: { capped: { limit_weekly: 50 } },
      // Round-robin, not least-used: a capped account scores 0 anyway, so only the cap itself
      // can keep it out of a rotation that would otherwise give it every other request.
      balancer: { strategy: 'round-robin' },
    });
    await learnUsage(h);
    const served = await h.servedBy(async () => {
      for (let index = 0; index < 6; index += 1) expect(await h.send(index % 2 === 0 ? { session: `s${index}` } : {})).toBe(200);
    });
    expect(served).toEqual(['open']);
  });

  it('rebalancing moves every session off an account once it is ahead by more than threshold / plan weight', async () => {
    // Max 20x (weight 10) with threshold 20: a 2-point lead is enough.
    const h = await start({
      accounts: [
        { id: 'a', plan: 'max20x', weeklyUtilization: 10 },
        { id: 'b', plan: 'max20x', weeklyUtilization: 12 },
      ],
      balancer: { rebalance_threshold: 20 },
    });
    await learnUsage(h);
    expect(await h.servedBy(() => h.send({ session: 'first' }))).toEqual(['a']);
    expect(await h.servedBy(() => h.send({ session: 'second' }))).toEqual(['a']);

    // 13 vs 12: b is now the least-used pick, but a 1-point lead is within 2 points.
    h.sim.setUsage('a', { weeklyUtilization: 13 });
    expect(await h.servedBy(() => h.send({ session: 'first' }))).toEqual(['a']);
    expect(await h.servedBy(() => h.send({ session: 'first' }))).toEqual(['a']);

    h.sim.setUsage('a', { weeklyUtilization: 20 });
    expect(await h.servedBy(() => h.send({ session: 'first' }))).toEqual(['a']);
    expect(await h.servedBy(() => h.send({ session: 'first' }))).toEqual(['b']);
    // 'second' was bound to a too and moved with it.
    expect(await h.servedBy(() => h.send({ session: 'second' }))).toEqual(['b']);
  });
});
