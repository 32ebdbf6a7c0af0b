import { clampPercent } from '../account-table.ts';
import type { SimCodexAccount } from './accounts.ts';
import { codexFiveHourBudget, codexWeeklyBudget, FIVE_HOUR_WINDOW_MINUTES, WEEKLY_WINDOW_MINUTES } from './plans.ts';
import { FIVE_HOUR_WINDOW_MS, WEEKLY_WINDOW_MS } from '../account-table.ts';
import { nextResetMs, type WindowClaim } from '../account-table.ts';

/** One rate-limit window as Codex reports it; which slot it sits in says nothing of its length. */
export interface CodexWindowView {
  /** Percent 0–100 (Codex percents are never fractions). */
  usedPercent: number;
  windowMinutes: number;
  resetAtMs: number;
}

export interface CodexWindows {
  primary: CodexWindowView;
  /** Absent for weekly-only plans (reported all zero in headers, null in JSON). */
  secondary: CodexWindowView | undefined;
}

/** Windows whose reset has passed start over empty (called before every read of an account). */
export function rollCodexWindows(account: SimCodexAccount, nowMs: number): void {
  if (nowMs >= account.fiveHourResetAtMs) {
    account.fiveHourUtilization = 0;
    account.fiveHourResetAtMs = nextResetMs(account.fiveHourResetAtMs, FIVE_HOUR_WINDOW_MS, nowMs);
  }
  if (nowMs >= account.weeklyResetAtMs) {
    account.weeklyUtilization = 0;
    account.weeklyResetAtMs = nextResetMs(account.weeklyResetAtMs, WEEKLY_WINDOW_MS, nowMs);
  }
}

export function consumeCodexTokens(account: SimCodexAccount, tokens: number): void {
  account.fiveHourUtilization = clampPercent(account.fiveHourUtilization + (tokens / codexFiveHourBudget(account.plan)) * 100);
  account.weeklyUtilization = clampPercent(account.weeklyUtilization + (tokens / codexWeeklyBudget(account.plan)) * 100);
}

/**
 * Primary 5 h + secondary weekly, or for a weekly-only plan a weekly primary and no secondary (as a
 * real weekly-only Pro account reports). `forcedRejection` reports that window full, for scripted
 * 429s; on a weekly-only plan any forced rejection lands on its one window.
 */
export function codexWindows(account: Readonly<SimCodexAccount>, forcedRejection?: WindowClaim): CodexWindows {
  const weekly: CodexWindowView = {
    usedPercent: forcedRejection === 'seven_day' ? 100 : account.weeklyUtilization,
    windowMinutes: WEEKLY_WINDOW_MINUTES,
    resetAtMs: account.weeklyResetAtMs,
  };
  if (account.isWeeklyOnly) {
    return { primary: forcedRejection === undefined ? weekly : { ...weekly, usedPercent: 100 }, secondary: undefined };
  }
  const fiveHour: CodexWindowView = {
    usedPercent: forcedRejection === 'five_hour' ? 100 : account.fiveHourUtilization,
    windowMinutes: FIVE_HOUR_WINDOW_MINUTES,
    resetAtMs: account.fiveHourResetAtMs,
  };
  return { primary: fiveHour, secondary: weekly };
}

function present(windows: CodexWindows): CodexWindowView[] {
  return windows.secondary === undefined ? [windows.primary] : [windows.primary, windows.secondary];
}

export function isCodexRejected(windows: CodexWindows): boolean {
  return present(windows).some((window) => window.usedPercent >= 100);
}

/** When the account is usable again: the latest reset among full windows (else the primary's). */
export function codexResetAtMs(windows: CodexWindows): number {
  const full = present(windows).filter((window) => window.usedPercent >= 100);
  if (full.length === 0) return windows.primary.resetAtMs;
  return Math.max(...full.map((window) => window.resetAtMs));
}
