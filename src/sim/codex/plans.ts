/**
 * ChatGPT plans as Codex sees them (`chatgpt_plan_type` in the id token, `plan_type` from wham/usage).
 * Budgets are invented like the Claude ones: bigger plans fill their windows more slowly, in the
 * same order as OCM's plan weights (pro 10, prolite 5, plus 1; PROTOCOL.md › Status JSON).
 */
export type CodexPlan = 'free' | 'go' | 'plus' | 'prolite' | 'pro' | 'team' | 'business' | 'enterprise' | 'edu';

const PLUS_FIVE_HOUR_BUDGET_TOKENS = 20_000;

const BUDGET_MULTIPLIER: Readonly<Record<CodexPlan, number>> = Object.freeze({
  free: 0.25,
  go: 0.5,
  plus: 1,
  prolite: 5,
  pro: 10,
  team: 1,
  business: 1,
  enterprise: 1,
  edu: 1,
});

export const CODEX_PLANS: readonly CodexPlan[] = Object.freeze(Object.keys(BUDGET_MULTIPLIER) as CodexPlan[]);

/** Weighted tokens that fill the 5-hour window to 100 %. */
export function codexFiveHourBudget(plan: CodexPlan): number {
  return PLUS_FIVE_HOUR_BUDGET_TOKENS * BUDGET_MULTIPLIER[plan];
}

/** Weighted tokens that fill the weekly window to 100 %. */
export function codexWeeklyBudget(plan: CodexPlan): number {
  return codexFiveHourBudget(plan) * 10;
}

/** Codex CLI's public OAuth client id (openai/codex codex-rs/login). */
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

/** Window lengths as `x-codex-*-window-minutes` reports them. */
export const FIVE_HOUR_WINDOW_MINUTES = 300;
export const WEEKLY_WINDOW_MINUTES = 10_080;

/**
 * Invented: the facts give no lifetime, only that Codex refreshes once `last_refresh` is 8 days
 * old, so a token outliving that rule by two days keeps both paths testable.
 */
export const DEFAULT_CODEX_TOKEN_LIFETIME_MS = 10 * 24 * 60 * 60 * 1000;

export const OPENAI_AUTH_CLAIM = 'https://api.openai.com/auth';
export const OPENAI_PROFILE_CLAIM = 'https://api.openai.com/profile';
