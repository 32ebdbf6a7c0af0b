import { randomBytes, randomUUID } from 'node:crypto';
import { toUnixSeconds } from '../../lib/index.ts';
import { clampPercent } from '../account-table.ts';
import { CODEX_CLIENT_ID, OPENAI_AUTH_CLAIM, OPENAI_PROFILE_CLAIM, type CodexPlan } from './plans.ts';
import { encodeJwt } from '../jwt.ts';
import { FIVE_HOUR_WINDOW_MS, WEEKLY_WINDOW_MS } from '../account-table.ts';

/** How a test describes a ChatGPT/Codex account it wants; everything is optional. */
export interface CodexAccountSpec {
  /** Stable id used by the control API (default `codex-<n>`, n from 1). */
  id?: string;
  email?: string;
  /** Default `plus`. */
  plan?: CodexPlan;
  /** `chatgpt_account_id` (default a random UUID). */
  accountId?: string;
  /**
   * A plan that reports only a weekly limit: primary window = 10080 minutes, secondary all zero
   * (as a real Pro account's headers were captured). The 5-hour numbers are then ignored.
   */
  isWeeklyOnly?: boolean;
  /** Percent 0–100. */
  fiveHourUtilization?: number;
  weeklyUtilization?: number;
  /** Epoch ms; default now + 5 h / now + 7 d. */
  fiveHourResetAtMs?: number;
  weeklyResetAtMs?: number;
  /** Access-token expiry (the JWT `exp`), epoch ms; past = start expired. */
  expiresAt?: number;
  /** `last_refresh` of auth.json, epoch ms (default now). */
  lastRefreshAtMs?: number;
  credits?: Partial<CodexCredits>;
  settings?: Partial<SimCodexAccountSettings>;
  /** An extra limit family for some models (as Codex-Spark has its own), weekly, reset with the weekly window. */
  extraLimit?: SimCodexExtraLimit;
}

export interface SimCodexExtraLimit {
  /** Header family id, e.g. `codex-bengalfox` (x-codex-bengalfox-primary-*). */
  family: string;
  /** `x-<family>-limit-name`, what Codex shows: "usage limit for <name>". */
  limitName: string;
  /** Requests whose model starts with this use the family's limit. */
  modelPrefix: string;
  /** Percent 0–100. */
  usedPercent: number;
}

/** Switchable at run time (`POST /_sim/codex-accounts/:id/settings`). */
export interface SimCodexAccountSettings {
  /** False: the plan has no Codex, every response is refused with 429 `usage_not_included`. */
  includesCodex: boolean;
}

export interface CodexCredits {
  hasCredits: boolean;
  unlimited: boolean;
  /** Decimal string as the API sends it, e.g. `"9.99"`; null when unknown. */
  balance: string | null;
}

export interface SimCodexAccountCounters {
  /** Responses requested (HTTP POST or one WebSocket `response.create`) after authentication. */
  responses: number;
  /** WebSocket handshakes that authenticated. */
  websocketConnections: number;
  usage: number;
  refreshes: number;
  /** Token-endpoint calls naming this account's current or a retired refresh token. */
  refreshAttempts: number;
  rateLimited: number;
  /** Authorization codes redeemed for this account (browser or device-code login). */
  logins: number;
}

/** Live Codex account state; the simulator mutates it, tests read it. */
export interface SimCodexAccount {
  readonly id: string;
  readonly email: string;
  readonly plan: CodexPlan;
  /** `chatgpt_account_id`, what `ChatGPT-Account-Id` must carry. */
  readonly accountId: string;
  readonly userId: string;
  readonly isWeeklyOnly: boolean;
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** Epoch ms; the access token's JWT `exp` unless expireCodexToken moved it earlier. */
  expiresAt: number;
  lastRefreshAtMs: number;
  isRevoked: boolean;
  fiveHourUtilization: number;
  fiveHourResetAtMs: number;
  weeklyUtilization: number;
  weeklyResetAtMs: number;
  credits: CodexCredits;
  settings: SimCodexAccountSettings;
  extraLimit: SimCodexExtraLimit | undefined;
  counters: SimCodexAccountCounters;
}

type TokenIdentity = Pick<SimCodexAccount, 'email' | 'plan' | 'accountId' | 'userId'>;

function authClaim(account: TokenIdentity): Record<string, unknown> {
  return {
    chatgpt_account_id: account.accountId,
    chatgpt_plan_type: account.plan,
    chatgpt_user_id: account.userId,
    user_id: account.userId,
  };
}

/** Claims as a ChatGPT login's access token carries them; `exp` is what Codex checks. */
export function newCodexAccessToken(account: TokenIdentity, nowMs: number, expiresAtMs: number): string {
  return encodeJwt({
    aud: ['https://api.openai.com/v1'],
    client_id: CODEX_CLIENT_ID,
    exp: toUnixSeconds(expiresAtMs),
    iat: toUnixSeconds(nowMs),
    iss: 'https://auth.openai.com',
    jti: randomUUID(),
    scp: ['openid', 'profile', 'email', 'offline_access'],
    sub: account.userId,
    [OPENAI_AUTH_CLAIM]: authClaim(account),
    [OPENAI_PROFILE_CLAIM]: { email: account.email, email_verified: true },
  });
}

/** The id_token claims Codex reads (codex-rs/login/src/token_data.rs). */
export function newCodexIdToken(account: TokenIdentity, nowMs: number): string {
  return encodeJwt({
    aud: [CODEX_CLIENT_ID],
    email: account.email,
    email_verified: true,
    exp: toUnixSeconds(nowMs) + 3600,
    iat: toUnixSeconds(nowMs),
    iss: 'https://auth.openai.com',
    sub: account.userId,
    [OPENAI_AUTH_CLAIM]: authClaim(account),
  });
}

/** Opaque; only its identity matters. */
export function newCodexRefreshToken(): string {
  return `rt_${randomBytes(48).toString('base64url')}`;
}

export function createCodexAccount(spec: CodexAccountSpec, index: number, nowMs: number, tokenLifetimeMs: number): SimCodexAccount {
  const id = spec.id ?? `codex-${index + 1}`;
  const identity: TokenIdentity = {
    email: spec.email ?? `${id}@example.com`,
    plan: spec.plan ?? 'plus',
    accountId: spec.accountId ?? randomUUID(),
    userId: `user-${randomBytes(18).toString('base64url')}`,
  };
  const expiresAt = spec.expiresAt ?? nowMs + tokenLifetimeMs;
  return {
    id,
    ...identity,
    isWeeklyOnly: spec.isWeeklyOnly ?? false,
    accessToken: newCodexAccessToken(identity, nowMs, expiresAt),
    idToken: newCodexIdToken(identity, nowMs),
    refreshToken: newCodexRefreshToken(),
    expiresAt,
    lastRefreshAtMs: spec.lastRefreshAtMs ?? nowMs,
    isRevoked: false,
    fiveHourUtilization: clampPercent(spec.fiveHourUtilization ?? 0),
    fiveHourResetAtMs: spec.fiveHourResetAtMs ?? nowMs + FIVE_HOUR_WINDOW_MS,
    weeklyUtilization: clampPercent(spec.weeklyUtilization ?? 0),
    weeklyResetAtMs: spec.weeklyResetAtMs ?? nowMs + WEEKLY_WINDOW_MS,
    credits: { hasCredits: false, unlimited: false, balance: '0', ...spec.credits },
    settings: { includesCodex: true, ...spec.settings },
    extraLimit: spec.extraLimit === undefined ? undefined : { ...spec.extraLimit, usedPercent: clampPercent(spec.extraLimit.usedPercent) },
    counters: { responses: 0, websocketConnections: 0, usage: 0, refreshes: 0, refreshAttempts: 0, rateLimited: 0, logins: 0 },
  };
}

/** `codexAccounts: 2` means two default accounts with plans cycling plus, pro. */
export function normalizeCodexSpecs(accounts: number | readonly CodexAccountSpec[] | undefined): CodexAccountSpec[] {
  if (Array.isArray(accounts)) return [...accounts];
  const count = typeof accounts === 'number' ? accounts : 0;
  const plans: CodexPlan[] = ['plus', 'pro'];
  return Array.from({ length: count }, (_, index) => ({ plan: plans[index % plans.length] }));
}

export interface CodexAuthFile {
  auth_mode: 'chatgpt';
  OPENAI_API_KEY: null;
  tokens: { id_token: string; access_token: string; refresh_token: string; account_id: string };
  /** RFC 3339. */
  last_refresh: string;
}

/** The exact `~/.codex/auth.json` object for an account (codex-rs/login/src/auth/storage.rs). */
export function codexAuthFile(account: Readonly<SimCodexAccount>): CodexAuthFile {
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: account.idToken,
      access_token: account.accessToken,
      refresh_token: account.refreshToken,
      account_id: account.accountId,
    },
    last_refresh: new Date(account.lastRefreshAtMs).toISOString(),
  };
}
