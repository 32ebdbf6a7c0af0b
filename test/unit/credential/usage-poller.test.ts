import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLL_TIMINGS, UsagePoller, type PollResult } from '../../../src/pool/usage-poller.ts';

const clock = { now: () => Date.now() };

/** A poller whose runs answer from a script and record when (fake time) they happened. */
function scripted(results: PollResult[], lastUpdated = { ms: 0 }) {
  const runsAt: number[] = [];
  const poller = new UsagePoller({
    clock,
    timings: DEFAULT_POLL_TIMINGS,
    lastUpdatedMs: () => lastUpdated.ms,
    run: async () => {
      runsAt.push(Date.now());
      const result = results.shift() ?? { kind: 'ok' };
      if (result.kind === 'ok') lastUpdated.ms = Date.now();
      return result;
    },
  });
  return { poller, runsAt, lastUpdated };
}

const MINUTE = 60_000;
let start = 0;
beforeEach(() => {
  vi.useFakeTimers();
  start = Date.now();
});
afterEach(() => {
  vi.useRealTimers();
});

function gaps(runsAt: number[]): number[] {
  return runsAt.map((at, index) => at - (index === 0 ? start : (runsAt[index - 1] ?? 0)));
}

describe('UsagePoller', () => {
  it('polls soon after start, then once the data is an hour old', async () => {
    const { poller, runsAt } = scripted([]);
    poller.kick();
    await vi.advanceTimersByTimeAsync(2 * 60 * MINUTE + 2000);
    expect(gaps(runsAt)).toEqual([1000, 60 * MINUTE, 60 * MINUTE]);
    poller.close();
  });

  it('backs off 1, 2, 4, 5, 5 minutes after failures, then returns to the hourly rhythm', async () => {
    const failed: PollResult = { kind: 'failed' };
    const { poller, runsAt } = scripted([failed, failed, failed, failed, failed]);
    poller.kick();
    await vi.advanceTimersByTimeAsync(1000 + 17 * MINUTE + 60 * MINUTE);
    expect(gaps(runsAt)).toEqual([1000, MINUTE, 2 * MINUTE, 4 * MINUTE, 5 * MINUTE, 5 * MINUTE, 60 * MINUTE]);
    expect(poller.consecutiveFailures).toBe(0);
    poller.close();
  });

  it('waits out a usage-endpoint 429 without counting a failure', async () => {
    const { poller, runsAt } = scripted([
      { kind: 'rate_limited', retryAfterMs: 30_000 },
      { kind: 'rate_limited', retryAfterMs: undefined },
    ]);
    poller.kick();
    expect(poller.consecutiveFailures).toBe(0);
    await vi.advanceTimersByTimeAsync(1000 + 30_000 + MINUTE);
    expect(gaps(runsAt)).toEqual([1000, 30_000, MINUTE]);
    expect(poller.consecutiveFailures).toBe(0);
    poller.close();
  });

  it('postpones a poll when traffic headers refreshed the data', async () => {
    const { poller, runsAt, lastUpdated } = scripted([]);
    poller.kick();
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(50 * MINUTE);
    lastUpdated.ms = Date.now();
    await vi.advanceTimersByTimeAsync(50 * MINUTE);
    expect(runsAt).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(runsAt).toHaveLength(2);
    poller.close();
  });

  it('runs one poll at a time and stops for good on close', async () => {
    const { poller, runsAt } = scripted([]);
    await Promise.all([poller.pollNow(), poller.pollNow()]);
    expect(runsAt).toHaveLength(1);
    poller.close();
    await poller.pollNow();
    await vi.advanceTimersByTimeAsync(3 * 60 * MINUTE);
    expect(runsAt).toHaveLength(1);
  });
});
