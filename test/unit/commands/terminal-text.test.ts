import { describe, expect, it } from 'vitest';
import { bar, columns, compactNumber, countdown, paint, percentText, visibleLength } from '../../../src/commands/terminal-text.ts';

describe('terminal text', () => {
  it.each([
    [0, 1000, '-'],
    [1000, 1000, 'now'],
    [1030, 1000, '<1m'],
    [1000 + 13 * 60 + 59, 1000, '13m'],
    [1000 + 2 * 3600 + 13 * 60, 1000, '2h13m'],
    [1000 + 2 * 3600 + 5 * 60, 1000, '2h05m'],
    [1000 + 5 * 86_400 + 12 * 3600 + 59 * 60, 1000, '5d12h'],
  ])('countdown to %i from %i is %s', (resetAt, now, expected) => {
    expect(countdown(resetAt, now)).toBe(expected);
  });

  it.each([
    [0, 10, '░░░░░░░░░░'],
    [0.4, 10, '█░░░░░░░░░'],
    [50, 10, '█████░░░░░'],
    [99, 10, '█████████░'],
    [100, 10, '██████████'],
    [140, 4, '████'],
    [Number.NaN, 4, '████'],
  ])('a %d%% bar of %i cells', (percent, cells, expected) => {
    expect(bar(percent, cells, false)).toBe(expected);
  });

  it.each([
    [0, '0.0%'],
    [41, '41.0%'],
    [77.25, '77.3%'],
    [99.96, '100%'],
  ])('percent %d reads %s', (percent, expected) => {
    expect(percentText(percent)).toBe(expected);
  });

  it.each([
    [950, '950'],
    [1234, '1.23k'],
    [12_345, '12.3k'],
    [1_000_000, '1M'],
    [4_560_000, '4.56M'],
    [2_500_000_000, '2.5G'],
  ])('compact %i reads %s', (value, expected) => {
    expect(compactNumber(value)).toBe(expected);
  });

  it('aligns columns by what is visible, not by escape codes', () => {
    const rows = [
      [paint('usable', 'green', true), '1'],
      ['rate_limited', '10'],
    ];
    const lines = columns(rows, ['left', 'right']);
    expect(lines.map(visibleLength)).toEqual([16, 16]);
    expect(paint('x', 'red', false)).toBe('x');
  });
});
