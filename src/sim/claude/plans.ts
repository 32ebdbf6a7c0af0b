/**
 * What each subscription plan looks like from the outside. Credential-file and profile values
 * follow what Claude Code stores (`subscriptionType`, `rateLimitTier`) and what
 * `/api/oauth/profile` returns (`organization_type`). Token budgets are invented: they only need
 * bigger plans to fill their windows more slowly, and small enough that a handful of test requests
 * moves the numbers.
 */
export type SimPlan = 'max20x' | 'max5x' | 'pro';

export interface SimPlanFacts {
  subscriptionType: 'max' | 'pro';
  rateLimitTier: string;
  organizationType: 'claude_max' | 'claude_pro';
  /** Weighted tokens that fill the 5-hour window to 100 %. */
  fiveHourBudgetTokens: number;
  /** Weighted tokens that fill the weekly window to 100 %. */
  weeklyBudgetTokens: number;
}

const PRO_FIVE_HOUR_BUDGET_TOKENS = 20_000;

/** Frozen so no test can mutate the shared table. */
export const PLAN_FACTS: Readonly<Record<SimPlan, Readonly<SimPlanFacts>>> = Object.freeze({
  max20x: Object.freeze({
    subscriptionType: 'max',
    rateLimitTier: 'default_claude_max_20x',
    organizationType: 'claude_max',
    fiveHourBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS * 20,
    weeklyBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS * 20 * 10,
  }),
  max5x: Object.freeze({
    subscriptionType: 'max',
    rateLimitTier: 'default_claude_max_5x',
    organizationType: 'claude_max',
    fiveHourBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS * 5,
    weeklyBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS * 5 * 10,
  }),
  pro: Object.freeze({
    subscriptionType: 'pro',
    rateLimitTier: 'default_claude_pro',
    organizationType: 'claude_pro',
    fiveHourBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS,
    weeklyBudgetTokens: PRO_FIVE_HOUR_BUDGET_TOKENS * 10,
  }),
});

/** Scopes a full Claude Code login carries (router-for-me/CLIProxyAPI internal/auth/claude's scope string). */
export const CLAUDE_CODE_SCOPES: readonly string[] = Object.freeze([
  'user:inference',
  'user:profile',
  'user:sessions:claude_code',
  'user:mcp_servers',
  'user:file_upload',
]);

/** `claude setup-token` tokens carry inference only. */
export const SETUP_TOKEN_SCOPES: readonly string[] = Object.freeze(['user:inference']);

/** The public Claude Code OAuth client id the token endpoint insists on. */
export const CLAUDE_CODE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';

export const DEFAULT_TOKEN_LIFETIME_MS = 8 * 60 * 60 * 1000;
