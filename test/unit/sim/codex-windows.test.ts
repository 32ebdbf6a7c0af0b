import { describe, expect, it } from 'vitest';
import { createCodexAccount, type CodexAccountSpec } from '../../../src/sim/codex/accounts.ts';
import { codexHeaders, codexUsageBody, rateLimitsEvent, usageLimitError } from '../../../src/sim/codex/headers.ts';
import { codexResetAtMs, codexWindows, consumeCodexTokens, isCodexRejected, rollCodexWindows } from '../../../src/sim/codex/windows.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
const HOUR_MS = 60 * 60 * 1000;

function account(spec: CodexAccountSpec = {}) {
  return createCodexAccount(spec, 0, NOW_MS, HOUR_MS);
}

describe('codexWindows', () => {
  it.each([
    ['five-hour + weekly', {}, 300, 10080],
    ['weekly only', { isWeeklyOnly: true }, 10080, undefined],
  ])('%s → primary %s min, secondary %s min', (_name, spec, primary, secondary) => {
    const windows = codexWindows(account(spec));
    expect(windows.primary.windowMinutes).toBe(primary);
    expect(windows.secondary?.windowMinutes).toBe(secondary);
  });

  it.each([
    ['nothing full', {}, undefined, false],
    ['5 h full', { fiveHourUtilization: 100 }, undefined, true],
    ['weekly full', { weeklyUtilization: 100 }, undefined, true],
    ['5 h full on a weekly-only plan', { isWeeklyOnly: true, fiveHourUtilization: 100 }, undefined, false],
    ['forced five_hour', {}, 'five_hour' as const, true],
    ['forced on weekly-only', { isWeeklyOnly: true }, 'five_hour' as const, true],
  ])('%s → rejected %s', (_name, spec, forced, rejected) => {
    expect(isCodexRejected(codexWindows(account(spec), forced))).toBe(rejected);
  });

  it('resets at the latest full window', () => {
    const full = account({ fiveHourUtilization: 100, weeklyUtilization: 100 });
    expect(codexResetAtMs(codexWindows(full))).toBe(full.weeklyResetAtMs);
    expect(codexResetAtMs(codexWindows(account()))).toBe(NOW_MS + 5 * HOUR_MS);
  });

  it('bigger plans fill more slowly, and windows roll over empty', () => {
    const plus = account({ plan: 'plus' });
    const pro = account({ plan: 'pro' });
    consumeCodexTokens(plus, 1000);
    consumeCodexTokens(pro, 1000);
    expect(plus.fiveHourUtilization).toBeCloseTo(pro.fiveHourUtilization * 10);
    rollCodexWindows(plus, NOW_MS + 5 * HOUR_MS);
    expect(plus.fiveHourUtilization).toBe(0);
    expect(plus.fiveHourResetAtMs).toBe(NOW_MS + 10 * HOUR_MS);
    expect(plus.weeklyUtilization).toBeGreaterThan(0);
  });
});

describe('codex headers and bodies', () => {
  it('zeroes the absent secondary window in headers', () => {
    const weekly = account({ isWeeklyOnly: true, weeklyUtilization: 12.345 });
    const headers = codexHeaders(weekly, codexWindows(weekly), NOW_MS);
    expect(headers).toMatchObject({
      'x-codex-primary-used-percent': '12.35',
      'x-codex-primary-window-minutes': '10080',
      'x-codex-secondary-used-percent': '0',
      'x-codex-secondary-window-minutes': '0',
      'x-codex-secondary-reset-at': '0',
    });
    expect(headers['x-codex-rate-limit-reached-type']).toBeUndefined();
  });

  it('rounds usage percents to integers that reach 100 only when full', () => {
    const almost = account({ fiveHourUtilization: 99.7 });
    const body = codexUsageBody(almost, codexWindows(almost), NOW_MS) as { rate_limit: { primary_window: { used_percent: number } } };
    expect(body.rate_limit.primary_window.used_percent).toBe(99);
  });

  it('builds the rate-limits event and the 429 error from the same windows', () => {
    const full = account({ plan: 'pro', fiveHourUtilization: 100 });
    const windows = codexWindows(full);
    expect(rateLimitsEvent(full, windows)).toMatchObject({
      type: 'codex.rate_limits',
      rate_limits: { primary: { used_percent: 100, window_minutes: 300, reset_at: (NOW_MS + 5 * HOUR_MS) / 1000 } },
    });
    expect(usageLimitError(full, windows, NOW_MS)).toEqual({
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: 'pro',
      resets_at: (NOW_MS + 5 * HOUR_MS) / 1000,
      resets_in_seconds: 5 * 3600,
    });
  });
});
