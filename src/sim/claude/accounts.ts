import { randomBytes, randomUUID } from 'node:crypto';
import { CLAUDE_CODE_SCOPES, PLAN_FACTS, SETUP_TOKEN_SCOPES, type SimPlan } from './plans.ts';
import { clampPercent, FIVE_HOUR_WINDOW_MS, WEEKLY_WINDOW_MS } from '../account-table.ts';

/** How a test describes an account it wants; everything is optional. */
export interface SimAccountSpec {
  /** Stable id used by the control API (default `account-<n>`, n from 1). */
  id?: string;
  email?: string;
  /** Default `max20x`. */
  plan?: SimPlan;
  /** Percent 0–100 of the 5-hour window already used. */
  fiveHourUtilization?: number;
  /** Percent 0–100 of the weekly window already used. */
  weeklyUtilization?: number;
  /** Percent 0–100 of the model-scoped weekly windows (they reset with the weekly window). */
  opusWeeklyUtilization?: number;
  sonnetWeeklyUtilization?: number;
  /** Epoch ms; default now + 5 h. */
  fiveHourResetAtMs?: number;
  /** Epoch ms; default now + 7 d. */
  weeklyResetAtMs?: number;
  /** Access-token expiry in epoch ms (same unit as the credential file); past = start expired. */
  expiresAt?: number;
  /** A `claude setup-token` credential: inference only, no refresh token. */
  isSetupToken?: boolean;
  /** Entitlements and refusals that are the account's settings, not its usage (entitlements.ts). */
  settings?: Partial<SimAccountSettings>;
}

/**
 * What the account is entitled to, switchable at run time (`POST /_sim/accounts/:id/settings`).
 * The defaults are a plain subscription the simulator's callers can use without looking like
 * Claude Code: no extra usage, no Claude-Code-only check, not disabled.
 */
export interface SimAccountSettings {
  /** Extra usage enabled: 1M-context and fast-mode requests are allowed. */
  hasExtraUsage: boolean;
  /** OAuth requests that do not look like Claude Code get the Claude-Code-only 403. */
  requiresClaudeCode: boolean;
  /** The organization is disabled: every request gets 403. */
  isDisabled: boolean;
}

export const DEFAULT_ACCOUNT_SETTINGS: Readonly<SimAccountSettings> = Object.freeze({
  hasExtraUsage: false,
  requiresClaudeCode: false,
  isDisabled: false,
});

export interface SimAccountCounters {
  /** `/v1/messages` requests that reached this account (any outcome after authentication). */
  messages: number;
  countTokens: number;
  /** Successful refresh-token rotations. */
  refreshes: number;
  /** Every token-endpoint call naming this account's current or a retired refresh token. */
  refreshAttempts: number;
  usage: number;
  profile: number;
  /** 429s this account answered (scripted or real). */
  rateLimited: number;
  /** Authorization codes redeemed for this account (`quotamesh login`). */
  logins: number;
}

/** Live account state; the simulator mutates it, tests read it. */
export interface SimAccount {
  readonly id: string;
  readonly uuid: string;
  readonly email: string;
  readonly organizationUuid: string;
  readonly organizationName: string;
  readonly plan: SimPlan;
  readonly isSetupToken: boolean;
  accessToken: string;
  /** Empty for setup tokens. */
  refreshToken: string;
  /** Epoch ms. */
  expiresAt: number;
  isRevoked: boolean;
  /** Percent 0–100. */
  fiveHourUtilization: number;
  fiveHourResetAtMs: number;
  /** Percent 0–100. */
  weeklyUtilization: number;
  weeklyResetAtMs: number;
  /** Percent 0–100 of the per-model weekly windows (claims seven_day_opus / seven_day_sonnet). */
  opusWeeklyUtilization: number;
  sonnetWeeklyUtilization: number;
  settings: SimAccountSettings;
  counters: SimAccountCounters;
}

/** Token shapes as Anthropic issues them: `sk-ant-oat01-…` / `sk-ant-ort01-…`. */
export function newAccessToken(): string {
  return `sk-ant-oat01-${randomBytes(72).toString('base64url')}AA`;
}

export function newRefreshToken(): string {
  return `sk-ant-ort01-${randomBytes(72).toString('base64url')}AA`;
}

export function createAccount(spec: SimAccountSpec, index: number, nowMs: number, tokenLifetimeMs: number): SimAccount {
  const id = spec.id ?? `account-${index + 1}`;
  const isSetupToken = spec.isSetupToken ?? false;
  return {
    id,
    uuid: randomUUID(),
    email: spec.email ?? `${id}@example.com`,
    organizationUuid: randomUUID(),
    organizationName: `${id}'s Organization`,
    plan: spec.plan ?? 'max20x',
    isSetupToken,
    accessToken: newAccessToken(),
    refreshToken: isSetupToken ? '' : newRefreshToken(),
    expiresAt: spec.expiresAt ?? nowMs + tokenLifetimeMs,
    isRevoked: false,
    fiveHourUtilization: clampPercent(spec.fiveHourUtilization ?? 0),
    fiveHourResetAtMs: spec.fiveHourResetAtMs ?? nowMs + FIVE_HOUR_WINDOW_MS,
    weeklyUtilization: clampPercent(spec.weeklyUtilization ?? 0),
    weeklyResetAtMs: spec.weeklyResetAtMs ?? nowMs + WEEKLY_WINDOW_MS,
    opusWeeklyUtilization: clampPercent(spec.opusWeeklyUtilization ?? 0),
    sonnetWeeklyUtilization: clampPercent(spec.sonnetWeeklyUtilization ?? 0),
    settings: { ...DEFAULT_ACCOUNT_SETTINGS, ...spec.settings },
    counters: { messages: 0, countTokens: 0, refreshes: 0, refreshAttempts: 0, usage: 0, profile: 0, rateLimited: 0, logins: 0 },
  };
}

/** `accounts: 3` means three default accounts; a mixed plan set makes weighting visible. */
export function normalizeSpecs(accounts: number | readonly SimAccountSpec[] | undefined): SimAccountSpec[] {
  if (Array.isArray(accounts)) return [...accounts];
  const count = typeof accounts === 'number' ? accounts : 1;
  const plans: SimPlan[] = ['max20x', 'max5x', 'pro'];
  return Array.from({ length: count }, (_, index) => ({ plan: plans[index % plans.length] }));
}

export interface ClaudeCredentialFile {
  claudeAiOauth: {
    accessToken: string;
    refreshToken: string;
    expiresAt: number;
    scopes: string[];
    subscriptionType: string;
    rateLimitTier: string;
  };
}

/** The exact `~/.claude/.credentials.json` object for an account (CONFIG.md › Credential files). */
export function claudeCredentialFile(account: Readonly<SimAccount>): ClaudeCredentialFile {
  const facts = PLAN_FACTS[account.plan];
  return {
    claudeAiOauth: {
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      expiresAt: account.expiresAt,
      scopes: [...(account.isSetupToken ? SETUP_TOKEN_SCOPES : CLAUDE_CODE_SCOPES)],
      subscriptionType: facts.subscriptionType,
      rateLimitTier: facts.rateLimitTier,
    },
  };
}

export function hasScope(account: Readonly<SimAccount>, scope: string): boolean {
  return (account.isSetupToken ? SETUP_TOKEN_SCOPES : CLAUDE_CODE_SCOPES).includes(scope);
}
