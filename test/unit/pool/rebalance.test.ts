import { describe, expect, it } from 'vitest';
import { ProviderPool } from '../../../src/pool/index.ts';
import { rebalanceTarget } from '../../../src/pool/rebalance.ts';
import type { CandidateView } from '../../../src/pool/strategies.ts';
import { FakeCredential } from './fake-credential.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);

function view(tag: string, planWeight: number, utilization: number, resetAt = 0): CandidateView {
  return { tag, type: 'default', planWeight, isUsable: true, weekly: { utilization, resetAt }, capWeekly: 99 };
}

describe('rebalanceTarget', () => {
  it.each<[string, CandidateView[], number, string | undefined]>([
    // threshold 20 ⇒ 2 points for Max 20x (w = 10), 4 for Max 5x, 20 for Pro (the weight divides it).
    ['max20x: 3 points ahead moves', [view('cur', 10, 13), view('other', 10, 10)], 20, 'other'],
    ['max20x: exactly 2 points ahead stays', [view('cur', 10, 12), view('other', 10, 10)], 20, undefined],
    ['max5x: 3 points ahead stays', [view('cur', 5, 13), view('other', 5, 10)], 20, undefined],
    ['pro: 21 points ahead moves', [view('cur', 1, 31), view('other', 1, 10)], 20, 'other'],
    ['pro: 15 points ahead stays', [view('cur', 1, 25), view('other', 1, 10)], 20, undefined],
    ['current is already the least-used pick', [view('cur', 10, 50), view('other', 1, 0)], 20, undefined],
    ['threshold 0 never moves', [view('cur', 10, 90), view('other', 10, 0)], 0, undefined],
    [
      'a past weekly reset makes the current window free: no move',
      [view('cur', 10, 90, NOW_MS / 1000 - 60), view('other', 10, 0, 0)],
      20,
      undefined,
    ],
  ])('%s', (_name, candidates, threshold, expected) => {
    const decision = rebalanceTarget(candidates, 0, threshold, NOW_MS);
    expect(decision === undefined ? undefined : candidates[decision.targetIndex]?.tag).toBe(expected);
  });
});

describe('ProviderPool rebalancing', () => {
  function poolOf(credentials: FakeCredential[], threshold: number): ProviderPool {
    return new ProviderPool('claude', credentials, [
      { tag: 'pool', members: credentials.map((c) => c.tag), strategy: 'least-used', rebalanceThreshold: threshold },
    ]);
  }
  const select = (pool: ProviderPool, sessionId: string, allowExternal = true): string | undefined =>
    pool.select('pool', { sessionId, allowExternal, exclude: new Set() }, NOW_MS)?.tag;

  it('moves the session, and every session bound to the hot credential in that scope, when the delta exceeds threshold / weight', () => {
    const a = new FakeCredential('a', { planWeight: 10 });
    const b = new FakeCredential('b', { planWeight: 10, weeklyUtilization: 1 });
    const pool = poolOf([a, b], 20);
    expect(['s1', 's2'].map((id) => select(pool, id))).toEqual(['a', 'a']);
    expect(select(pool, 's3', false)).toBe('a');
    a.weekly = { utilization: 4, resetAt: 0 };
    expect(select(pool, 's1')).toBe('b');
    expect(select(pool, 's2')).toBe('b');
    // Now a is the least-used pick again, but 1 point is within 20 / 10: nobody moves back,
    // and the other scope's session was never moved.
    b.weekly = { utilization: 5, resetAt: 0 };
    expect([select(pool, 's1'), select(pool, 's2'), select(pool, 's3', false)]).toEqual(['b', 'b', 'a']);
  });

  it('keeps the session while the delta is within threshold / weight', () => {
    const a = new FakeCredential('a', { planWeight: 1 });
    const b = new FakeCredential('b', { planWeight: 1, weeklyUtilization: 1 });
    const pool = poolOf([a, b], 20);
    expect(select(pool, 's')).toBe('a');
    a.weekly = { utilization: 21, resetAt: 0 };
    expect(select(pool, 's')).toBe('a');
    a.weekly = { utilization: 21.5, resetAt: 0 };
    expect(select(pool, 's')).toBe('b');
  });
});
