/** requests_per_minute as a rolling window (issue 15): pure, `now` passed in, table-driven. */
import { describe, expect, it } from 'vitest';
import { afterAdmitting, RATE_WINDOW_MS, rateDecision } from '../../../src/node/rate-window.ts';

const T = 1_800_000_000_000;
const S = 1000;

describe('rateDecision', () => {
  it.each<[string, number[], number, number, ReturnType<typeof rateDecision>]>([
    ['nothing admitted yet', [], 1, T, { isAllowed: true }],
    ['one under the limit', [T - 10 * S], 2, T, { isAllowed: true }],
    ['at the limit: free when the oldest ages out', [T - 50 * S, T - 10 * S], 2, T, { isAllowed: false, retryAtMs: T + 10 * S }],
    ['limit 1: free 60 s after the only one', [T - 1], 1, T, { isAllowed: false, retryAtMs: T + RATE_WINDOW_MS - 1 }],
    ['one that aged out exactly at now no longer counts', [T - RATE_WINDOW_MS, T - 5 * S], 2, T, { isAllowed: true }],
    [
      'more than the limit (a lowered limit): free when all but limit − 1 aged out',
      [T - 40 * S, T - 30 * S, T - 20 * S, T - 10 * S],
      2,
      T,
      { isAllowed: false, retryAtMs: T - 20 * S + RATE_WINDOW_MS },
    ],
    ['out of order (a clock step back) reads the same', [T - 10 * S, T - 50 * S], 2, T, { isAllowed: false, retryAtMs: T + 10 * S }],
    ['times in the future (clock stepped back) still count', [T + 5 * S], 1, T, { isAllowed: false, retryAtMs: T + 65 * S }],
  ])('%s', (_name, admitted, limit, now, expected) => {
    expect(rateDecision(admitted, limit, now)).toEqual(expected);
  });

  it('retry-at is exactly when the next request is allowed', () => {
    const admitted = [T - 59 * S, T - 30 * S, T - 1];
    const decision = rateDecision(admitted, 3, T);
    if (decision.isAllowed) throw new Error('expected a refusal');
    expect(rateDecision(admitted, 3, decision.retryAtMs - 1).isAllowed).toBe(false);
    expect(rateDecision(admitted, 3, decision.retryAtMs).isAllowed).toBe(true);
  });
});

describe('afterAdmitting', () => {
  it('keeps only times in the window, at most `limit`, oldest first', () => {
    expect(afterAdmitting([T - 70 * S, T - 30 * S, T - 20 * S], 5, T)).toEqual([T - 30 * S, T - 20 * S, T]);
    expect(afterAdmitting([T - 30 * S, T - 20 * S, T - 10 * S], 2, T)).toEqual([T - 10 * S, T]);
  });

  it('a flood at one limit never keeps more than the limit', () => {
    let admitted: number[] = [];
    for (let index = 0; index < 10_000; index += 1) admitted = afterAdmitting(admitted, 7, T + index);
    expect(admitted).toHaveLength(7);
  });
});
