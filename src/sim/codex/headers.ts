import { toUnixSeconds } from '../../lib/index.ts';
import type { SimCodexAccount } from './accounts.ts';
import { codexResetAtMs, isCodexRejected, type CodexWindows, type CodexWindowView } from './windows.ts';

/** 0.01 resolution, enough for a handful of test requests to move the number. */
function formatPercent(percent: number): string {
  return String(Math.round(percent * 100) / 100);
}

function secondsUntil(epochMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((epochMs - nowMs) / 1000));
}

/** Python-style booleans, as the real headers spell them (`True`/`False`). */
function pythonBool(value: boolean): string {
  return value ? 'True' : 'False';
}

/**
 * The `x-codex-*` set (codex-rs/codex-api/src/rate_limits.rs reads it) for the default `codex`
 * limit family. An absent window is sent all zero, as the real weekly-only Pro capture shows.
 */
export function codexHeaders(
  account: Readonly<SimCodexAccount>,
  windows: CodexWindows,
  nowMs: number,
  options: { isLimitReached?: boolean } = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  const slots: Array<['primary' | 'secondary', CodexWindowView | undefined]> = [
    ['primary', windows.primary],
    ['secondary', windows.secondary],
  ];
  for (const [slot, window] of slots) {
    headers[`x-codex-${slot}-used-percent`] = window === undefined ? '0' : formatPercent(window.usedPercent);
    headers[`x-codex-${slot}-window-minutes`] = String(window?.windowMinutes ?? 0);
    headers[`x-codex-${slot}-reset-at`] = String(window === undefined ? 0 : toUnixSeconds(window.resetAtMs));
    headers[`x-codex-${slot}-reset-after-seconds`] = String(window === undefined ? 0 : secondsUntil(window.resetAtMs, nowMs));
  }
  headers['x-codex-primary-over-secondary-limit-percent'] = '0';
  headers['x-codex-active-limit'] = 'codex';
  headers['x-codex-plan-type'] = account.plan;
  headers['x-codex-credits-has-credits'] = pythonBool(account.credits.hasCredits);
  headers['x-codex-credits-unlimited'] = pythonBool(account.credits.unlimited);
  if (account.credits.balance !== null) headers['x-codex-credits-balance'] = account.credits.balance;
  if (options.isLimitReached === true) headers['x-codex-rate-limit-reached-type'] = 'rate_limit_reached';
  return headers;
}

function eventWindow(window: CodexWindowView | undefined): Record<string, number> | null {
  if (window === undefined) return null;
  return { used_percent: window.usedPercent, window_minutes: window.windowMinutes, reset_at: toUnixSeconds(window.resetAtMs) };
}

function credits(account: Readonly<SimCodexAccount>): Record<string, unknown> {
  return { has_credits: account.credits.hasCredits, unlimited: account.credits.unlimited, balance: account.credits.balance };
}

/** What a WebSocket session gets instead of per-turn headers (`codex.rate_limits`). */
export function rateLimitsEvent(account: Readonly<SimCodexAccount>, windows: CodexWindows): Record<string, unknown> {
  return {
    type: 'codex.rate_limits',
    plan_type: account.plan,
    rate_limits: { primary: eventWindow(windows.primary), secondary: eventWindow(windows.secondary) },
    credits: credits(account),
    metered_limit_name: 'codex',
  };
}

/** The `usage_limit_reached` 429 body, over HTTP and inside a WebSocket `error` event. */
export function usageLimitError(account: Readonly<SimCodexAccount>, windows: CodexWindows, nowMs: number): Record<string, unknown> {
  const resetAtMs = codexResetAtMs(windows);
  return {
    type: 'usage_limit_reached',
    message: 'The usage limit has been reached',
    plan_type: account.plan,
    resets_at: toUnixSeconds(resetAtMs),
    resets_in_seconds: secondsUntil(resetAtMs, nowMs),
  };
}

/** Whole percent; 100 only when really full, so `limit_reached` and the number agree. */
function wholePercent(percent: number): number {
  return percent >= 100 ? 100 : Math.min(99, Math.round(percent));
}

function usageWindow(window: CodexWindowView | undefined, nowMs: number): Record<string, number> | null {
  if (window === undefined) return null;
  return {
    used_percent: wholePercent(window.usedPercent),
    limit_window_seconds: window.windowMinutes * 60,
    reset_after_seconds: secondsUntil(window.resetAtMs, nowMs),
    reset_at: toUnixSeconds(window.resetAtMs),
  };
}

/** `GET /backend-api/wham/usage` (codex-rs/backend-client/src/client.rs). */
export function codexUsageBody(account: Readonly<SimCodexAccount>, windows: CodexWindows, nowMs: number): Record<string, unknown> {
  const isLimitReached = isCodexRejected(windows);
  return {
    user_id: account.userId,
    account_id: account.accountId,
    email: account.email,
    plan_type: account.plan,
    rate_limit: {
      allowed: !isLimitReached,
      limit_reached: isLimitReached,
      primary_window: usageWindow(windows.primary, nowMs),
      secondary_window: usageWindow(windows.secondary, nowMs),
    },
    credits: { ...credits(account), approx_local_messages: null, approx_cloud_messages: null },
    additional_rate_limits: null,
    rate_limit_reached_type: isLimitReached ? { type: 'rate_limit_reached' } : null,
  };
}
