/**
 * Issue 15: a credential at its max_concurrent is passed over while another usable one has room
 * (pure pick, table-driven on every strategy), and the pool's candidates skip it, keep a
 * session's binding to it, and name it as busy when nothing else is left.
 */
import { describe, expect, it } from 'vitest';
import { ProviderPool, type Strategy } from '../../../src/pool/index.ts';
import { pick, type CandidateView } from '../../../src/pool/strategies.ts';
import { FakeCredential } from './fake-credential.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);

function view(tag: string, overrides: Partial<CandidateView> = {}): CandidateView {
  return { tag, type: 'default', planWeight: 1, isUsable: true, weekly: { utilization: 0, resetAt: 0 }, capWeekly: 99, ...overrides };
}

function picked(strategy: Strategy, views: CandidateView[], counter = 0, random = 0): string | undefined {
  const index = pick(strategy, views, { nowMs: NOW_MS, counter, random: () => random });
  return index === undefined ? undefined : views[index]?.tag;
}

describe('pick: a member at its cap is passed over', () => {
  it.each<[string, Strategy, CandidateView[], number, number, string | undefined]>([
    [
      'least-used: the best score is full, the next best serves',
      'least-used',
      [view('big', { planWeight: 20, isAtCap: true }), view('small', { weekly: { utilization: 50, resetAt: 0 } })],
      0,
      0,
      'small',
    ],
    ['fallback: the first is full, the second serves', 'fallback', [view('a', { isAtCap: true }), view('b'), view('c')], 0, 0, 'b'],
    ['round-robin: the turn skips a full member', 'round-robin', [view('a'), view('b', { isAtCap: true }), view('c')], 1, 0, 'c'],
    [
      'random: only members with room are drawn',
      'random',
      [view('a', { isAtCap: true }), view('b'), view('c', { isAtCap: true })],
      0,
      0.99,
      'b',
    ],
    [
      'every usable member full: none (the request waits)',
      'least-used',
      [view('a', { isAtCap: true }), view('b', { isAtCap: true })],
      0,
      0,
      undefined,
    ],
    [
      'a full member is not preferred over an unusable one: none',
      'fallback',
      [view('a', { isAtCap: true }), view('b', { isUsable: false })],
      0,
      0,
      undefined,
    ],
    [
      'no member at cap: the strategy alone decides',
      'least-used',
      [view('a', { weekly: { utilization: 90, resetAt: 0 } }), view('b')],
      0,
      0,
      'b',
    ],
  ])('%s', (_name, strategy, views, counter, random, expected) => {
    expect(picked(strategy, views, counter, random)).toBe(expected);
  });
});

class CappedCredential extends FakeCredential {
  readonly maxConcurrent = 1;
}

function poolOf(strategy: Strategy, credentials: FakeCredential[]): ProviderPool {
  return new ProviderPool(
    'claude',
    credentials,
    [{ tag: 'pool', members: credentials.map((c) => c.tag), strategy, rebalanceThreshold: 0 }],
    {
      maxQueued: 4,
    },
  );
}

/** The first credential a request would try, without trying the rest (which would move a session). */
function first(pool: ProviderPool, sessionId: string): string | undefined {
  return pool.candidates('pool', { sessionId, allowExternal: true, respectCaps: true }, () => NOW_MS).next().value?.tag;
}

function order(pool: ProviderPool, sessionId?: string): string[] {
  const selection = { sessionId, allowExternal: true, respectCaps: true };
  return [...pool.candidates('pool', selection, () => NOW_MS)].map((credential) => credential.tag);
}

describe('ProviderPool with credentials at their cap', () => {
  it('hands out only credentials with room, and names the full ones as busy', () => {
    const [a, b] = [new CappedCredential('a', { planWeight: 20 }), new CappedCredential('b')];
    const pool = poolOf('least-used', [a, b]);
    expect(pool.slots.tryTake(a)).toBe(true);
    expect(order(pool)).toEqual(['b']);
    expect(pool.busy('pool', { sessionId: undefined, allowExternal: true }, new Set(), NOW_MS)).toEqual([a]);
    expect(pool.slots.tryTake(b)).toBe(true);
    expect(order(pool)).toEqual([]);
    expect(pool.busy('pool', { sessionId: undefined, allowExternal: true }, new Set(), NOW_MS).map((c) => c.tag)).toEqual(['a', 'b']);
  });

  it('a rate-limited credential is spent, not busy', () => {
    const a = new CappedCredential('a');
    a.isUsableNow = false;
    const pool = poolOf('fallback', [a]);
    expect(pool.slots.tryTake(a)).toBe(true);
    expect(pool.busy('pool', { sessionId: undefined, allowExternal: true }, new Set(), NOW_MS)).toEqual([]);
  });

  it('a session whose credential is full is served elsewhere and keeps its binding', () => {
    const [a, b] = [new CappedCredential('a', { planWeight: 20 }), new CappedCredential('b')];
    const pool = poolOf('least-used', [a, b]);
    expect(first(pool, 's1')).toBe('a');
    expect(pool.slots.tryTake(a)).toBe(true);
    expect(first(pool, 's1')).toBe('b');
    pool.slots.release(a);
    expect(first(pool, 's1')).toBe('a');
    expect(pool.sessionCredential('pool', 's1', true, NOW_MS)?.tag).toBe('a');
  });

  it('without respectCaps (a WebSocket session) the cap does not change the order', () => {
    const [a, b] = [new CappedCredential('a', { planWeight: 20 }), new CappedCredential('b')];
    const pool = poolOf('least-used', [a, b]);
    pool.slots.tryTake(a);
    const tags = [...pool.candidates('pool', { sessionId: undefined, allowExternal: true }, () => NOW_MS)].map((c) => c.tag);
    expect(tags).toEqual(['a', 'b']);
  });
});
