import { describe, expect, it } from 'vitest';
import { WindowClaims, type RiseClaim } from '../../../../src/pool/index.ts';

const NOW = 1_800_000_000;
const RESET = NOW + 3600;
const open = (): RiseClaim => ({ fiveHour: 0, weekly: 0, isOpen: true });

describe('WindowClaims', () => {
  it('gives each response the rise its own reading shows', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 10, resetAt: RESET }, NOW);
    const a = open();
    const b = open();
    claims.claim(a, { utilization: 12, resetAt: RESET }, NOW);
    claims.claim(b, { utilization: 15, resetAt: RESET }, NOW);
    expect([a.fiveHour, b.fiveHour]).toEqual([2, 3]);
  });

  it('lets a late head take back its stretch from the open claim that covered it', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 0, resetAt: RESET }, NOW);
    const first = open();
    const second = open();
    // The vendor charged `first` (→ 1) then `second` (→ 2); second's head arrives first.
    claims.claim(second, { utilization: 2, resetAt: RESET }, NOW);
    claims.claim(first, { utilization: 1, resetAt: RESET }, NOW);
    expect([first.fiveHour, second.fiveHour]).toEqual([1, 1]);
  });

  it('cannot take back from a claim already settled', () => {
    const claims = new WindowClaims('weekly');
    claims.seed({ utilization: 0, resetAt: RESET }, NOW);
    const first = open();
    const second = open();
    claims.claim(second, { utilization: 2, resetAt: RESET }, NOW);
    second.isOpen = false;
    claims.release(second);
    claims.claim(first, { utilization: 1, resetAt: RESET }, NOW);
    expect([first.weekly, second.weekly]).toEqual([0, 2]);
  });

  it('counts a reset as the new window’s reading, never a negative rise', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 80, resetAt: RESET }, NOW);
    const claim = open();
    claims.claim(claim, { utilization: 3, resetAt: RESET + 5 * 3600 }, NOW);
    expect(claim.fiveHour).toBe(3);
  });

  it('treats a window whose reset passed as empty, not as its stale value', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 80, resetAt: NOW - 10 }, NOW - 100);
    expect(claims.observe({ utilization: 80, resetAt: NOW - 10 }, NOW)).toBe(0);
    const claim = open();
    claims.claim(claim, { utilization: 4, resetAt: 0 }, NOW);
    expect(claim.fiveHour).toBe(4);
  });

  it('ignores a stale reading from the previous window', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 5, resetAt: RESET }, NOW);
    const claim = open();
    claims.claim(claim, { utilization: 90, resetAt: RESET - 5 * 3600 }, NOW);
    expect(claim.fiveHour).toBe(0);
    expect(claims.level).toEqual({ utilization: 5, resetAt: RESET });
  });

  it('charges nobody for the first reading without a baseline, nor for garbage', () => {
    const claims = new WindowClaims('fiveHour');
    const claim = open();
    claims.claim(claim, { utilization: 40, resetAt: RESET }, NOW);
    claims.claim(claim, { utilization: Number.NaN, resetAt: RESET }, NOW);
    expect(claim.fiveHour).toBe(0);
  });

  it('reports a rise seen otherwise (a poll) for the finished requests to share', () => {
    const claims = new WindowClaims('weekly');
    claims.seed({ utilization: 10, resetAt: RESET }, NOW);
    expect(claims.observe({ utilization: 10.5, resetAt: RESET }, NOW)).toBeCloseTo(0.5, 12);
    expect(claims.observe({ utilization: 10.2, resetAt: RESET }, NOW)).toBe(0);
  });

  it('keeps tiny rises: a thousand steps of 0.0001 % add up', () => {
    const claims = new WindowClaims('fiveHour');
    claims.seed({ utilization: 0, resetAt: RESET }, NOW);
    let total = 0;
    for (let step = 1; step <= 1000; step += 1) {
      const claim = open();
      claims.claim(claim, { utilization: step / 10_000, resetAt: RESET }, NOW);
      total += claim.fiveHour;
    }
    expect(total).toBeCloseTo(0.1, 10);
  });
});
