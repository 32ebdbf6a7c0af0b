/**
 * An extra limit family for some models (ChatGPT meters e.g. Codex-Spark apart from `codex`):
 * its windows come as `x-<family>-primary-*` with `x-<family>-limit-name`, and
 * `x-codex-active-limit` names the family that governs the response (openai/codex
 * codex-rs/codex-api/src/rate_limits.rs parse_rate_limit_for_limit; api_bridge.rs reads the
 * active family on a `usage_limit_reached`). When it is spent, that model is refused while the
 * `codex` family's windows are not.
 */
import { toUnixSeconds } from '../../lib/index.ts';
import type { SimCodexAccount, SimCodexExtraLimit } from './accounts.ts';
import { WEEKLY_WINDOW_MINUTES } from './plans.ts';

/** The extra family this request's model falls under, if any. */
export function extraLimitFor(account: Readonly<SimCodexAccount>, model: string): SimCodexExtraLimit | undefined {
  const limit = account.extraLimit;
  return limit !== undefined && model.startsWith(limit.modelPrefix) ? limit : undefined;
}

export function extraLimitHeaders(account: Readonly<SimCodexAccount>, limit: SimCodexExtraLimit, nowMs: number): Record<string, string> {
  const prefix = `x-${limit.family}-primary`;
  return {
    [`${prefix}-used-percent`]: String(Math.round(limit.usedPercent * 100) / 100),
    [`${prefix}-window-minutes`]: String(WEEKLY_WINDOW_MINUTES),
    [`${prefix}-reset-at`]: String(toUnixSeconds(account.weeklyResetAtMs)),
    [`${prefix}-reset-after-seconds`]: String(Math.max(0, Math.ceil((account.weeklyResetAtMs - nowMs) / 1000))),
    [`x-${limit.family}-limit-name`]: limit.limitName,
    'x-codex-active-limit': limit.family,
  };
}

/** The backend's 429 body for a spent extra family: the account's plan, the family's reset. */
export function extraLimitError(account: Readonly<SimCodexAccount>, nowMs: number): Record<string, unknown> {
  return {
    type: 'usage_limit_reached',
    message: 'The usage limit has been reached',
    plan_type: account.plan,
    resets_at: toUnixSeconds(account.weeklyResetAtMs),
    resets_in_seconds: Math.max(0, Math.ceil((account.weeklyResetAtMs - nowMs) / 1000)),
  };
}
