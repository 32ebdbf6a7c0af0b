import { describe, expect, it } from 'vitest';
import { UsageState } from '../../../src/pool/usage-state.ts';
import { claudeStatusFacts, type UnifiedRateLimit } from '../../../src/providers/index.ts';

const NOW = 1_800_000_000_000;
const NOW_S = NOW / 1000;
const CAPS = { cap5h: 99, capWeekly: 99 };

/** Claude's reading of a status, as its default credential applies it. */
function applyStatus(state: UsageState, status: number, limits: UnifiedRateLimit | undefined, nowMs: number): void {
  state.applyOutcome(status, claudeStatusFacts(limits), nowMs);
}

function withFiveHour(utilization: number, resetAt: number): UnifiedRateLimit {
  return { fiveHour: { utilization, resetAt } };
}

describe('UsageState', () => {
  it.each([
    ['a higher value', { utilization: 30, resetAt: NOW_S + 100 }, withFiveHour(40, NOW_S + 100), 40],
    ['a lower value in the same window', { utilization: 30, resetAt: NOW_S + 100 }, withFiveHour(10, NOW_S + 100), 30],
    ['a lower value in a later window', { utilization: 30, resetAt: NOW_S + 100 }, withFiveHour(10, NOW_S + 18_100), 10],
    ['a lower value after the old window reset', { utilization: 30, resetAt: NOW_S - 5 }, withFiveHour(10, NOW_S - 5), 10],
    ['a lower value with an unknown reset', { utilization: 30, resetAt: NOW_S + 100 }, withFiveHour(10, 0), 30],
  ])('header merge keeps the monotonic guard: %s', (_name, previous, limits, expected) => {
    const state = new UsageState();
    state.fiveHour = previous;
    state.applyHeaders(limits, NOW);
    expect(state.fiveHour.utilization).toBe(expected);
  });

  it('bumps lastUpdated only when headers carried usage', () => {
    const state = new UsageState();
    const allowed: UnifiedRateLimit = { status: 'allowed' };
    state.applyHeaders(allowed, NOW);
    expect(state.lastUpdatedMs).toBe(0);
    state.applyHeaders(withFiveHour(1, NOW_S + 10), NOW);
    expect(state).toMatchObject({ lastUpdatedMs: NOW, hasData: true });
  });

  it('lets a poll overwrite a higher header value', () => {
    const state = new UsageState();
    state.applyHeaders(withFiveHour(60, NOW_S + 100), NOW);
    state.applyPoll({ fiveHour: { utilization: 20, resetAt: NOW_S + 100 } }, CAPS, NOW + 1);
    expect(state.fiveHour.utilization).toBe(20);
  });

  it('takes the representative window reset for a rejected 429', () => {
    const state = new UsageState();
    applyStatus(
      state,
      429,
      { status: 'rejected', representativeClaim: 'seven_day', resetAt: NOW_S + 60, weekly: { utilization: 100, resetAt: NOW_S + 86_400 } },
      NOW,
    );
    expect(state.cooldown.untilMs).toBe((NOW_S + 86_400) * 1000);
  });

  it('does not trust a reset on a 429 that is not a window rejection', () => {
    const state = new UsageState();
    applyStatus(state, 429, { status: 'allowed', resetAt: NOW_S + 86_400 }, NOW);
    expect(state.cooldown.untilMs).toBe(NOW + 1000);
  });

  it('keeps a bench when a success still says rejected', () => {
    const state = new UsageState();
    applyStatus(state, 429, {}, NOW);
    applyStatus(state, 200, { status: 'rejected' }, NOW);
    expect(state.isCoolingDown(NOW)).toBe(true);
    applyStatus(state, 200, undefined, NOW);
    expect(state.isCoolingDown(NOW)).toBe(false);
  });

  it.each([
    ['under both caps', 50, 50, undefined],
    ['5h at its cap', 99, 50, NOW_S + 100],
    ['both capped: the later reset', 99, 99, NOW_S + 900],
  ])('cappedUntil: %s', (_name, fiveHour, weekly, expected) => {
    const state = new UsageState();
    state.fiveHour = { utilization: fiveHour, resetAt: NOW_S + 100 };
    state.weekly = { utilization: weekly, resetAt: NOW_S + 900 };
    expect(state.cappedUntil(CAPS, NOW)).toBe(expected);
  });

  it('persists and restores, preferring newer knowledge', () => {
    const state = new UsageState();
    state.applyHeaders(withFiveHour(70, NOW_S + 100), NOW);
    applyStatus(state, 429, {}, NOW);
    const restored = new UsageState();
    restored.restore(JSON.parse(JSON.stringify(state.persist())), NOW + 10);
    expect(restored.persist()).toEqual(state.persist());

    const newer = new UsageState();
    newer.applyHeaders(withFiveHour(5, NOW_S + 100), NOW + 20);
    newer.restore(state.persist(), NOW + 30);
    // Older windows lose to newer ones; a saved bench still running is kept.
    expect(newer.fiveHour.utilization).toBe(5);
    expect(newer.isCoolingDown(NOW + 30)).toBe(true);
  });
});

describe('UsageState and whom a refusal is about', () => {
  it('a 429 about the request or one model benches nothing; one about the account does', () => {
    const state = new UsageState();
    state.applyOutcome(429, { isRejected: false, hint: {}, scope: 'request' }, NOW);
    state.applyOutcome(429, { isRejected: false, hint: {}, scope: 'model' }, NOW);
    expect(state.isCoolingDown(NOW)).toBe(false);
    expect(state.cooldown.strikes).toBe(0);
    state.applyOutcome(429, { isRejected: false, hint: {}, scope: 'account' }, NOW);
    expect(state.isCoolingDown(NOW)).toBe(true);
  });

  it('a refused account is out for an hour with the vendor words, survives a restart, and a success ends it', () => {
    const state = new UsageState();
    state.refuse('This organization has been disabled.', NOW);
    expect(state.isCoolingDown(NOW + 59 * 60_000)).toBe(true);
    expect(state.isCoolingDown(NOW + 61 * 60_000)).toBe(false);
    expect(state.blockReason(CAPS, NOW)).toContain('This organization has been disabled.');
    const restored = new UsageState();
    restored.restore(JSON.parse(JSON.stringify(state.persist())), NOW + 1000);
    expect(restored.cooldown.cause).toBe('refused');
    expect(restored.blockReason(CAPS, NOW + 1000)).toContain('refused by the vendor');
    state.applyOutcome(200, { isRejected: false, hint: {} }, NOW + 61 * 60_000);
    expect(state.refusalReason).toBeUndefined();
    expect(state.cooldown.cause).toBeUndefined();
  });
});
