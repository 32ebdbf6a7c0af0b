/**
 * What the simulated Claude and Codex accounts share: one table of account ids (unique across
 * providers, so a test names an account without saying whose), the two usage windows and their
 * arithmetic, and the control API's usage update.
 */

export const FIVE_HOUR_WINDOW_MS = 5 * 60 * 60 * 1000;
export const WEEKLY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** Claim names as the real header spells them — not `5h`/`7d`. */
export type WindowClaim = 'five_hour' | 'seven_day';
/** Output is weighted like the real price ratio, so long answers eat quota faster than prompts. */
const OUTPUT_TOKEN_WEIGHT = 5;

export interface SimUsageUpdate {
  /** Percent 0–100. */
  fiveHourUtilization?: number;
  weeklyUtilization?: number;
  /** Epoch ms. */
  fiveHourResetAtMs?: number;
  weeklyResetAtMs?: number;
  /** Claude only: the per-model weekly windows, percent 0–100. */
  opusWeeklyUtilization?: number;
  sonnetWeeklyUtilization?: number;
  /** Codex only: the account's extra limit family, percent 0–100. */
  extraLimitUsedPercent?: number;
}

/** Throws unless every account id, over all providers, is unique. */
export function assertUniqueIds(...lists: ReadonlyArray<ReadonlyArray<{ id: string }>>): void {
  const ids = lists.flat().map((account) => account.id);
  if (new Set(ids).size !== ids.length) throw new Error('simulator account ids must be unique across Claude and Codex accounts');
}

export function clampPercent(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(100, Math.max(0, value));
}

/** The first reset strictly after now, keeping the window's original phase. */
export function nextResetMs(resetAtMs: number, windowMs: number, nowMs: number): number {
  if (nowMs < resetAtMs) return resetAtMs;
  const elapsedPeriods = Math.floor((nowMs - resetAtMs) / windowMs) + 1;
  return resetAtMs + elapsedPeriods * windowMs;
}

export function weightedTokens(usage: { input_tokens: number; output_tokens: number }): number {
  return usage.input_tokens + OUTPUT_TOKEN_WEIGHT * usage.output_tokens;
}

/** Bigger plans have bigger budgets, so the same request moves their percentages less. */
/** A control-API usage update, applied the same way to Claude and Codex accounts. */
export function applyUsageUpdate(
  account: { fiveHourUtilization: number; fiveHourResetAtMs: number; weeklyUtilization: number; weeklyResetAtMs: number },
  update: SimUsageUpdate,
): void {
  if (update.fiveHourResetAtMs !== undefined) account.fiveHourResetAtMs = update.fiveHourResetAtMs;
  if (update.weeklyResetAtMs !== undefined) account.weeklyResetAtMs = update.weeklyResetAtMs;
  if (update.fiveHourUtilization !== undefined) account.fiveHourUtilization = clampPercent(update.fiveHourUtilization);
  if (update.weeklyUtilization !== undefined) account.weeklyUtilization = clampPercent(update.weeklyUtilization);
}
