import { describe, expect, it } from 'vitest';
import { fromNano, NANO_PER_POINT, risePoints, splitByTokens, toNano, weightedTokens } from '../../../../src/pool/index.ts';

const usage = (input: number, output: number, creation = 0, read = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: creation,
  cache_read_input_tokens: read,
});

describe('weightedTokens', () => {
  it.each([
    ['input + output + cache creation', usage(100, 50, 25), 0.1, 175],
    ['cache reads at their discount', usage(0, 0, 0, 1000), 0.1, 100],
    ['no usage block', undefined, 0.1, 0],
    ['garbage counts weigh nothing', usage(Number.NaN, -5, Infinity, 10), 0.1, 1],
    ['a garbage discount drops cache reads', usage(1, 1, 0, 10), Number.NaN, 2],
  ])('%s', (_name, counts, weight, expected) => {
    expect(weightedTokens(counts, weight)).toBeCloseTo(expected, 10);
  });
});

describe('splitByTokens', () => {
  it('splits in proportion to tokens and the parts add up to the whole exactly', () => {
    const parts = splitByTokens(1000, [
      { key: 'a', tokens: 1 },
      { key: 'b', tokens: 1 },
      { key: 'c', tokens: 1 },
    ]);
    expect(parts.map((part) => part.nano)).toEqual([334, 333, 333]);
  });

  it('splits evenly when no request has tokens', () => {
    const parts = splitByTokens(10, [
      { key: 'a', tokens: 0 },
      { key: 'b', tokens: 0 },
    ]);
    expect(parts.map((part) => part.nano)).toEqual([5, 5]);
  });

  it('gives nothing to a zero-token request beside one with tokens', () => {
    const parts = splitByTokens(777, [
      { key: 'a', tokens: 0 },
      { key: 'b', tokens: 42 },
    ]);
    expect(parts).toEqual([
      { key: 'a', nano: 0 },
      { key: 'b', nano: 777 },
    ]);
  });

  it('loses nothing over ten thousand callers with uneven tokens', () => {
    const shares = Array.from({ length: 10_000 }, (_, index) => ({ key: index, tokens: (index % 7) + 0.3 }));
    const total = toNano(0.123456789);
    const parts = splitByTokens(total, shares);
    expect(parts.reduce((sum, part) => sum + part.nano, 0)).toBe(total);
    expect(parts.every((part) => Number.isSafeInteger(part.nano) && part.nano >= 0)).toBe(true);
  });

  it('keeps a tiny rise: a millionth of a percent on a big pool is still counted', () => {
    const points = risePoints(1e-6, 1, 200);
    expect(toNano(points)).toBe(5);
    expect(splitByTokens(toNano(points), [{ key: 'a', tokens: 3 }])).toEqual([{ key: 'a', nano: 5 }]);
  });

  it('has nothing to split among nobody', () => {
    expect(splitByTokens(100, [])).toEqual([]);
  });
});

describe('risePoints', () => {
  it.each([
    ['one percent of a Max 20x in a route of weight 20', 1, 10, 20, 0.5],
    ['a falling reading is no rise', -3, 10, 20, 0],
    ['a route without weight', 5, 1, 0, 0],
    ['NaN', Number.NaN, 1, 1, 0],
    ['bounded to the whole window', 100, 1_000_000, 1, 100],
  ])('%s', (_name, rise, weight, routeWeight, expected) => {
    expect(risePoints(rise, weight, routeWeight)).toBeCloseTo(expected, 12);
  });

  it('round-trips through nano-points', () => {
    expect(fromNano(toNano(0.1) + toNano(0.2))).toBe(0.3);
    expect(NANO_PER_POINT).toBe(1e9);
  });
});
