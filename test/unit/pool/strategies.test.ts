import { describe, expect, it } from 'vitest';
import { leastUsedScore, pick, type CandidateView, type Strategy } from '../../../src/pool/strategies.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
const HOUR_S = 3600;
const nowSeconds = NOW_MS / 1000;

function candidate(tag: string, overrides: Partial<CandidateView> = {}): CandidateView {
  return { tag, type: 'default', planWeight: 1, isUsable: true, weekly: { utilization: 0, resetAt: 0 }, capWeekly: 99, ...overrides };
}

/** Runs `picks` selections the way the pool does: the counter advances once per pick. */
function sequence(strategy: Strategy, candidates: CandidateView[], picks: number, randoms: number[] = []): Array<string | undefined> {
  const tags: Array<string | undefined> = [];
  for (let counter = 0; counter < picks; counter += 1) {
    const index = pick(strategy, candidates, { nowMs: NOW_MS, counter, random: () => randoms[counter] ?? 0 });
    tags.push(index === undefined ? undefined : candidates[index]?.tag);
  }
  return tags;
}

interface Case {
  name: string;
  strategy: Strategy;
  candidates: CandidateView[];
  picks: number;
  randoms?: number[];
  expected: Array<string | undefined>;
}

const cases: Case[] = [
  {
    name: 'least-used: the larger, less used account wins over list order',
    strategy: 'least-used',
    // pro: 89 × 1 = 89; max20x: 59 × 10 = 590.
    candidates: [
      candidate('pro', { weekly: { utilization: 10, resetAt: 0 } }),
      candidate('max', { planWeight: 10, weekly: { utilization: 40, resetAt: 0 } }),
    ],
    picks: 3,
    expected: ['max', 'max', 'max'],
  },
  {
    name: 'least-used: a tie goes to the first in the list',
    strategy: 'least-used',
    candidates: [candidate('a'), candidate('b'), candidate('c')],
    picks: 2,
    expected: ['a', 'a'],
  },
  {
    name: 'least-used: an unusable best is skipped',
    strategy: 'least-used',
    candidates: [
      candidate('a', { planWeight: 10, isUsable: false }),
      candidate('b', { weekly: { utilization: 50, resetAt: 0 } }),
      candidate('c'),
    ],
    picks: 1,
    expected: ['c'],
  },
  {
    name: 'least-used: a reset in 24 h boosts ×7 over an unknown reset',
    strategy: 'least-used',
    // a: 99 × 1; b: 49 × 168/24 = 343.
    candidates: [candidate('a'), candidate('b', { weekly: { utilization: 50, resetAt: nowSeconds + 24 * HOUR_S } })],
    picks: 1,
    expected: ['b'],
  },
  {
    name: 'least-used: a past weekly reset does not boost (it only frees the window)',
    strategy: 'least-used',
    // a: past reset → util 0, urgency 1 → 99; b: 99 × 168/84 = 198. The reference gave a ×168.
    candidates: [
      candidate('a', { weekly: { utilization: 95, resetAt: nowSeconds - HOUR_S } }),
      candidate('b', { weekly: { utilization: 0, resetAt: nowSeconds + 84 * HOUR_S } }),
    ],
    picks: 1,
    expected: ['b'],
  },
  {
    name: 'least-used: the weekly cap bounds the remaining capacity',
    strategy: 'least-used',
    // a: (50 − 45) × 10 = 50; b: (99 − 40) × 1 = 59.
    candidates: [
      candidate('a', { planWeight: 10, capWeekly: 50, weekly: { utilization: 45, resetAt: 0 } }),
      candidate('b', { weekly: { utilization: 40, resetAt: 0 } }),
    ],
    picks: 1,
    expected: ['b'],
  },
  {
    name: 'least-used: nothing usable picks nothing',
    strategy: 'least-used',
    candidates: [candidate('a', { isUsable: false })],
    picks: 2,
    expected: [undefined, undefined],
  },
  {
    name: 'round-robin: cycles the list',
    strategy: 'round-robin',
    candidates: [candidate('a'), candidate('b'), candidate('c')],
    picks: 5,
    expected: ['a', 'b', 'c', 'a', 'b'],
  },
  {
    name: 'round-robin: an unusable member hands its turn to the next one',
    strategy: 'round-robin',
    candidates: [candidate('a'), candidate('b', { isUsable: false }), candidate('c')],
    picks: 5,
    expected: ['a', 'c', 'c', 'a', 'c'],
  },
  {
    name: 'round-robin: nothing usable picks nothing',
    strategy: 'round-robin',
    candidates: [candidate('a', { isUsable: false }), candidate('b', { isUsable: false })],
    picks: 2,
    expected: [undefined, undefined],
  },
  {
    name: 'random: uniform over the usable members',
    strategy: 'random',
    candidates: [candidate('a'), candidate('b'), candidate('c')],
    picks: 5,
    randoms: [0, 0.5, 0.99, 0.34, 1],
    expected: ['a', 'b', 'c', 'b', 'c'],
  },
  {
    name: 'random: unusable members are not in the draw',
    strategy: 'random',
    candidates: [candidate('a'), candidate('b', { isUsable: false }), candidate('c')],
    picks: 4,
    randoms: [0, 0.5, 0.49, 0.99],
    expected: ['a', 'c', 'a', 'c'],
  },
  {
    name: 'fallback: the first usable member, every time',
    strategy: 'fallback',
    candidates: [candidate('a', { isUsable: false }), candidate('b'), candidate('c', { planWeight: 10 })],
    picks: 3,
    expected: ['b', 'b', 'b'],
  },
  {
    name: 'fallback: nothing usable picks nothing',
    strategy: 'fallback',
    candidates: [],
    picks: 1,
    expected: [undefined],
  },
];

describe('strategies pick sequences', () => {
  it.each(cases)('$name', ({ strategy, candidates, picks, randoms, expected }) => {
    expect(sequence(strategy, candidates, picks, randoms)).toEqual(expected);
  });
});

describe('leastUsedScore', () => {
  it.each<[string, Partial<CandidateView>, number]>([
    ['unknown reset: remaining × weight', { planWeight: 5, weekly: { utilization: 29, resetAt: 0 } }, 70 * 5],
    ['reset in 168 h: urgency 1', { weekly: { utilization: 0, resetAt: nowSeconds + 168 * HOUR_S } }, 99],
    ['reset in 30 min: urgency saturates at 168', { weekly: { utilization: 98, resetAt: nowSeconds + 1800 } }, 168],
    ['reset exactly now counts as past: no boost, window free', { weekly: { utilization: 98, resetAt: nowSeconds } }, 99],
    ['over the cap: nothing remains', { capWeekly: 80, weekly: { utilization: 90, resetAt: 0 } }, 0],
    ['a non-finite weight scores nothing', { planWeight: Number.NaN }, 0],
  ])('%s', (_name, overrides, expected) => {
    expect(leastUsedScore(candidate('x', overrides), NOW_MS)).toBeCloseTo(expected, 9);
  });
});
