import { toUnixSeconds } from '../../lib/index.ts';
import { clampPercent } from '../account-table.ts';
import { type SimAccount } from './accounts.ts';
import { FIVE_HOUR_WINDOW_MS, WEEKLY_WINDOW_MS } from '../account-table.ts';
import { PLAN_FACTS } from './plans.ts';
import { nextResetMs, type WindowClaim } from '../account-table.ts';

export type UnifiedStatus = 'allowed' | 'allowed_warning' | 'rejected';

/** Percent at which a window turns `allowed_warning` and reports a surpassed threshold. */
export const WARNING_THRESHOLD_PERCENT = 80;

interface WindowView {
  claim: WindowClaim;
  /** Header infix: `5h` / `7d`. */
  infix: '5h' | '7d';
  utilization: number;
  resetAtMs: number;
}

/** Windows whose reset has passed start over empty (called before every read of an account). */
export function rollWindows(account: SimAccount, nowMs: number): void {
  if (nowMs >= account.fiveHourResetAtMs) {
    account.fiveHourUtilization = 0;
    account.fiveHourResetAtMs = nextResetMs(account.fiveHourResetAtMs, FIVE_HOUR_WINDOW_MS, nowMs);
  }
  if (nowMs >= account.weeklyResetAtMs) {
    account.weeklyUtilization = 0;
    account.opusWeeklyUtilization = 0;
    account.sonnetWeeklyUtilization = 0;
    account.weeklyResetAtMs = nextResetMs(account.weeklyResetAtMs, WEEKLY_WINDOW_MS, nowMs);
  }
}

export function consumeTokens(account: SimAccount, tokens: number): void {
  const facts = PLAN_FACTS[account.plan];
  account.fiveHourUtilization = clampPercent(account.fiveHourUtilization + (tokens / facts.fiveHourBudgetTokens) * 100);
  account.weeklyUtilization = clampPercent(account.weeklyUtilization + (tokens / facts.weeklyBudgetTokens) * 100);
}

export function windowStatus(utilizationPercent: number): UnifiedStatus {
  if (utilizationPercent >= 100) return 'rejected';
  if (utilizationPercent >= WARNING_THRESHOLD_PERCENT) return 'allowed_warning';
  return 'allowed';
}

function windowsOf(account: Readonly<SimAccount>, forcedRejection?: WindowClaim): WindowView[] {
  return [
    {
      claim: 'five_hour',
      infix: '5h',
      utilization: forcedRejection === 'five_hour' ? 100 : account.fiveHourUtilization,
      resetAtMs: account.fiveHourResetAtMs,
    },
    {
      claim: 'seven_day',
      infix: '7d',
      utilization: forcedRejection === 'seven_day' ? 100 : account.weeklyUtilization,
      resetAtMs: account.weeklyResetAtMs,
    },
  ];
}

/**
 * The binding window: among rejected ones the one that frees up last (that is when the account
 * is usable again); otherwise the fullest, ties going to five_hour.
 */
function representative(windows: WindowView[]): WindowView {
  const rejected = windows.filter((window) => window.utilization >= 100);
  const candidates = rejected.length > 0 ? rejected : windows;
  let best = candidates[0] as WindowView;
  for (const window of candidates.slice(1)) {
    const isBetter = rejected.length > 0 ? window.resetAtMs > best.resetAtMs : window.utilization > best.utilization;
    if (isBetter) best = window;
  }
  return best;
}

export function isRejected(account: Readonly<SimAccount>): boolean {
  return account.fiveHourUtilization >= 100 || account.weeklyUtilization >= 100;
}

/** Seconds until the binding window resets — what Claude Code's own mock puts in retry-after. */
export function retryAfterSeconds(account: Readonly<SimAccount>, nowMs: number, forcedRejection?: WindowClaim): number {
  const binding = representative(windowsOf(account, forcedRejection));
  return Math.max(0, Math.ceil((binding.resetAtMs - nowMs) / 1000));
}

/** Percent 0–100 → header fraction 0–1, 0.01 % resolution. */
export function formatFraction(percent: number): string {
  return String(Math.round(percent * 100) / 10_000);
}

/**
 * `anthropic-ratelimit-unified-*` headers exactly as Anthropic sends them: statuses,
 * fractions 0–1, resets in epoch seconds, claim names `five_hour`/`seven_day`. The overage
 * headers mirror a subscription without extra usage, the common real case.
 */
export function unifiedHeaders(account: Readonly<SimAccount>, forcedRejection?: WindowClaim): Record<string, string> {
  const windows = windowsOf(account, forcedRejection);
  const binding = representative(windows);
  const statuses = windows.map((window) => windowStatus(window.utilization));
  const overall: UnifiedStatus = statuses.includes('rejected')
    ? 'rejected'
    : statuses.includes('allowed_warning')
      ? 'allowed_warning'
      : 'allowed';
  const prefix = 'anthropic-ratelimit-unified';
  const headers: Record<string, string> = {
    [`${prefix}-status`]: overall,
    [`${prefix}-reset`]: String(toUnixSeconds(binding.resetAtMs)),
    [`${prefix}-representative-claim`]: binding.claim,
    [`${prefix}-fallback-percentage`]: '0.5',
    [`${prefix}-overage-status`]: 'rejected',
    [`${prefix}-overage-disabled-reason`]: 'org_level_disabled',
  };
  for (const window of windows) {
    const status = windowStatus(window.utilization);
    headers[`${prefix}-${window.infix}-status`] = status;
    headers[`${prefix}-${window.infix}-utilization`] = formatFraction(window.utilization);
    headers[`${prefix}-${window.infix}-reset`] = String(toUnixSeconds(window.resetAtMs));
    if (status !== 'allowed') {
      headers[`${prefix}-${window.infix}-surpassed-threshold`] = formatFraction(WARNING_THRESHOLD_PERCENT);
    }
  }
  return headers;
}
