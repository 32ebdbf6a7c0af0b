import { describe, expect, it } from 'vitest';
import { createAccount, type SimAccountSpec } from '../../../src/sim/claude/accounts.ts';
import { FIVE_HOUR_WINDOW_MS, nextResetMs, WEEKLY_WINDOW_MS } from '../../../src/sim/account-table.ts';
import {
  consumeTokens,
  formatFraction,
  retryAfterSeconds,
  rollWindows,
  unifiedHeaders,
  windowStatus,
} from '../../../src/sim/claude/windows.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
const HOUR_MS = 60 * 60 * 1000;

function account(spec: SimAccountSpec = {}) {
  return createAccount(spec, 0, NOW_MS, 8 * HOUR_MS);
}

describe('windowStatus', () => {
  it.each([
    [0, 'allowed'],
    [79.99, 'allowed'],
    [80, 'allowed_warning'],
    [99.99, 'allowed_warning'],
    [100, 'rejected'],
  ])('%s %% is %s', (percent, status) => {
    expect(windowStatus(percent)).toBe(status);
  });
});

describe('formatFraction', () => {
  it.each([
    [0, '0'],
    [44, '0.44'],
    [12.345, '0.1235'],
    [100, '1'],
  ])('%s %% → %s', (percent, text) => {
    expect(formatFraction(percent)).toBe(text);
  });
});

describe('nextResetMs', () => {
  it.each([
    ['before the reset keeps it', NOW_MS + 10, NOW_MS, NOW_MS + 10],
    ['exactly at the reset moves one window', NOW_MS, NOW_MS, NOW_MS + FIVE_HOUR_WINDOW_MS],
    ['three windows late keeps the phase', NOW_MS, NOW_MS + 3 * FIVE_HOUR_WINDOW_MS + 5, NOW_MS + 4 * FIVE_HOUR_WINDOW_MS],
  ])('%s', (_name, resetAtMs, nowMs, expected) => {
    expect(nextResetMs(resetAtMs, FIVE_HOUR_WINDOW_MS, nowMs)).toBe(expected);
  });
});

describe('rollWindows', () => {
  it('empties only the windows whose reset has passed', () => {
    const state = account({ fiveHourUtilization: 50, weeklyUtilization: 60 });
    rollWindows(state, NOW_MS + FIVE_HOUR_WINDOW_MS);
    expect(state.fiveHourUtilization).toBe(0);
    expect(state.fiveHourResetAtMs).toBe(NOW_MS + 2 * FIVE_HOUR_WINDOW_MS);
    expect(state.weeklyUtilization).toBe(60);
    expect(state.weeklyResetAtMs).toBe(NOW_MS + WEEKLY_WINDOW_MS);
  });
});

describe('consumeTokens', () => {
  it('moves a bigger plan less for the same tokens', () => {
    const pro = account({ plan: 'pro' });
    const max5x = account({ plan: 'max5x' });
    const max20x = account({ plan: 'max20x' });
    for (const state of [pro, max5x, max20x]) consumeTokens(state, 1000);
    expect(pro.fiveHourUtilization).toBeGreaterThan(max5x.fiveHourUtilization);
    expect(max5x.fiveHourUtilization).toBeGreaterThan(max20x.fiveHourUtilization);
    expect(max20x.weeklyUtilization).toBeGreaterThan(0);
  });

  it('never goes past 100 %', () => {
    const state = account({ plan: 'pro', fiveHourUtilization: 99 });
    consumeTokens(state, 1_000_000);
    expect(state.fiveHourUtilization).toBe(100);
  });
});

describe('unifiedHeaders', () => {
  const prefix = 'anthropic-ratelimit-unified';

  it('reports fractions, epoch-second resets and the real claim names', () => {
    const headers = unifiedHeaders(account({ fiveHourUtilization: 44, weeklyUtilization: 12 }));
    expect(headers).toMatchObject({
      [`${prefix}-status`]: 'allowed',
      [`${prefix}-representative-claim`]: 'five_hour',
      [`${prefix}-5h-status`]: 'allowed',
      [`${prefix}-5h-utilization`]: '0.44',
      [`${prefix}-5h-reset`]: String((NOW_MS + FIVE_HOUR_WINDOW_MS) / 1000),
      [`${prefix}-7d-utilization`]: '0.12',
      [`${prefix}-7d-reset`]: String((NOW_MS + WEEKLY_WINDOW_MS) / 1000),
      [`${prefix}-reset`]: String((NOW_MS + FIVE_HOUR_WINDOW_MS) / 1000),
    });
    expect(headers[`${prefix}-5h-surpassed-threshold`]).toBeUndefined();
  });

  it.each([
    ['fuller weekly window is representative', 10, 30, 'seven_day', 'allowed'],
    ['warning shows as allowed_warning', 85, 30, 'five_hour', 'allowed_warning'],
    ['rejected weekly beats a fuller-looking 5h', 99, 100, 'seven_day', 'rejected'],
    ['both rejected: the later reset binds', 100, 100, 'seven_day', 'rejected'],
  ])('%s', (_name, fiveHour, weekly, claim, status) => {
    const headers = unifiedHeaders(account({ fiveHourUtilization: fiveHour, weeklyUtilization: weekly }));
    expect(headers[`${prefix}-representative-claim`]).toBe(claim);
    expect(headers[`${prefix}-status`]).toBe(status);
  });

  it('a forced rejection reports that window full', () => {
    const headers = unifiedHeaders(account(), 'seven_day');
    expect(headers[`${prefix}-7d-status`]).toBe('rejected');
    expect(headers[`${prefix}-7d-utilization`]).toBe('1');
    expect(headers[`${prefix}-representative-claim`]).toBe('seven_day');
  });

  it('retry-after counts the seconds to the binding reset', () => {
    expect(retryAfterSeconds(account({ fiveHourUtilization: 100 }), NOW_MS)).toBe(5 * 60 * 60);
  });
});
