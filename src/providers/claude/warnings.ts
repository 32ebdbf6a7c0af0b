/**
 * When Claude Code would warn about a window (PROTOCOL.md › Headers). Claude Code warns from the `-surpassed-threshold`
 * header when present, else when use is high *early* in the window: `utilization >= u &&
 * elapsed <= t` for any of its thresholds (5h: 90% by 72%; 7d: 75% by 60%, 50% by 35%, 25% by
 * 15%), elapsed clamped to 0..1. Use that is high only late in the window is on pace and earns no
 * warning. We send the header exactly when that time-based rule would fire, so a client sees the
 * same warning whether it trusts the header or computes it.
 */
import type { ProviderStatus } from '../../status/index.ts';

export interface ClaimWarning {
  /** Header infix: `anthropic-ratelimit-unified-<abbreviation>-…`. */
  abbreviation: '5h' | '7d';
  /** Name used in `representative-claim` (Anthropic sends these, never `5h`/`7d`). */
  claim: 'five_hour' | 'seven_day';
  /** Percent 0–100. */
  utilization: number;
  /** Unix seconds; 0 = unknown. */
  resetAt: number;
  isExhausted: boolean;
  isWarning: boolean;
  /** Fraction of the crossed utilisation threshold, e.g. 0.9; set when warning or exhausted. */
  surpassedThreshold?: number;
  /** 2 exhausted, 1 warning, 0 neither (representative-claim ordering). */
  priority: number;
}

interface WarningRule {
  /** Percent used at or above which the rule can fire. */
  utilizationPercent: number;
  /** Fraction of the window elapsed at or below which the rule can fire. */
  elapsedFraction: number;
}

interface WindowRules {
  abbreviation: '5h' | '7d';
  claim: 'five_hour' | 'seven_day';
  durationSeconds: number;
  /** Highest threshold first: the first match is the one reported. */
  rules: readonly WarningRule[];
}

const FIVE_HOUR: WindowRules = {
  abbreviation: '5h',
  claim: 'five_hour',
  durationSeconds: 5 * 3600,
  rules: [{ utilizationPercent: 90, elapsedFraction: 0.72 }],
};

const SEVEN_DAY: WindowRules = {
  abbreviation: '7d',
  claim: 'seven_day',
  durationSeconds: 7 * 24 * 3600,
  rules: [
    { utilizationPercent: 75, elapsedFraction: 0.6 },
    { utilizationPercent: 50, elapsedFraction: 0.35 },
    { utilizationPercent: 25, elapsedFraction: 0.15 },
  ],
};

/** The 5-hour and the weekly window of an aggregate, judged at `nowSeconds`. */
export function claimWarnings(aggregate: ProviderStatus, nowSeconds: number): [ClaimWarning, ClaimWarning] {
  return [
    judgeWindow(FIVE_HOUR, aggregate.five_hour_utilization, aggregate.five_hour_reset, nowSeconds),
    judgeWindow(SEVEN_DAY, aggregate.weekly_utilization, aggregate.weekly_reset, nowSeconds),
  ];
}

function judgeWindow(window: WindowRules, rawUtilization: number, rawResetAt: number, nowSeconds: number): ClaimWarning {
  const utilization = Number.isFinite(rawUtilization) ? Math.min(100, Math.max(0, rawUtilization)) : 100;
  const resetAt = Number.isFinite(rawResetAt) && rawResetAt > 0 ? Math.round(rawResetAt) : 0;
  const isExhausted = utilization >= 100;
  const base = { abbreviation: window.abbreviation, claim: window.claim, utilization, resetAt };
  const highest = window.rules[0];
  if (isExhausted) {
    const exhausted = { ...base, isExhausted, isWarning: false, priority: 2 };
    return highest ? { ...exhausted, surpassedThreshold: highest.utilizationPercent / 100 } : exhausted;
  }
  const matched = firedRule(window, utilization, resetAt, nowSeconds);
  if (!matched) return { ...base, isExhausted, isWarning: false, priority: 0 };
  return {
    ...base,
    isExhausted,
    isWarning: true,
    surpassedThreshold: matched.utilizationPercent / 100,
    priority: 1,
  };
}

/** Without a known reset the elapsed share is unknown, and Claude Code does not warn either. */
function firedRule(window: WindowRules, utilization: number, resetAt: number, nowSeconds: number): WarningRule | undefined {
  if (resetAt === 0) return undefined;
  const windowStart = resetAt - window.durationSeconds;
  const elapsedFraction = Math.max(0, Math.min(1, (nowSeconds - windowStart) / window.durationSeconds));
  return window.rules.find((rule) => utilization >= rule.utilizationPercent && elapsedFraction <= rule.elapsedFraction);
}
