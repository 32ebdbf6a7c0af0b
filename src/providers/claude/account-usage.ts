/**
 * `GET {api_url}/api/oauth/usage` and `/api/oauth/profile` (as sing-box
 * service/ccm/credential_default.go `pollUsage` reads them). Every field is optional and windows
 * may be null, so parsing keeps what it can and never throws. Usage JSON is percent 0–100, unlike
 * the 0–1 headers.
 */
import { errorMessage } from '../../lib/index.ts';
import type { WindowUsage } from '../../status/index.ts';
import { boundedReset, exchange, MAX_ACCOUNT_RESPONSE_BYTES, type AccountFetch, type AccountFetchOptions } from '../../upstream/index.ts';
import { OAUTH_BETA } from './messages.ts';
import { parseUnifiedHeaders } from './ratelimit.ts';
import { isRevokedMessage } from './oauth.ts';

/** Fallback Claude Code version sing-box sends when it cannot detect one. */
export const CLAUDE_CODE_USER_AGENT = 'claude-code/2.1.85';

export interface ClaudeUsage {
  fiveHour?: WindowUsage;
  weekly?: WindowUsage;
}

/** What the profile tells about the plan, in the credential file's vocabulary. */
export interface ClaudeProfile {
  subscriptionType?: string;
  rateLimitTier?: string;
}

export function parseClaudeUsage(body: unknown, nowSeconds: number): ClaudeUsage | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  const usage: ClaudeUsage = {};
  const fiveHour = parseUsageWindow(fields['five_hour'], nowSeconds);
  if (fiveHour) usage.fiveHour = fiveHour;
  const weekly = parseUsageWindow(fields['seven_day'], nowSeconds);
  if (weekly) usage.weekly = weekly;
  return usage;
}

function parseUsageWindow(value: unknown, nowSeconds: number): WindowUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const window = value as Record<string, unknown>;
  const utilization = window['utilization'];
  if (typeof utilization !== 'number' || !Number.isFinite(utilization)) return undefined;
  const resetsAt = window['resets_at'];
  const resetMs = typeof resetsAt === 'string' ? Date.parse(resetsAt) : Number.NaN;
  return {
    utilization: Math.min(100, Math.max(0, utilization)),
    // Bounded as header resets are: a year-9999 reset must not bench the account for ever.
    resetAt: Number.isFinite(resetMs) ? boundedReset(Math.floor(resetMs / 1000), nowSeconds) : 0,
  };
}

/** `organization_type` → `subscriptionType` as Claude Code stores it (sing-box maps it the same way). */
const ORGANIZATION_TYPES: Readonly<Record<string, string>> = {
  claude_pro: 'pro',
  claude_max: 'max',
  claude_team: 'team',
  claude_enterprise: 'enterprise',
};

export function parseClaudeProfile(body: unknown): ClaudeProfile | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const organization = (body as Record<string, unknown>)['organization'];
  if (organization === null || typeof organization !== 'object') return undefined;
  const fields = organization as Record<string, unknown>;
  const profile: ClaudeProfile = {};
  const type = fields['organization_type'];
  if (typeof type === 'string' && ORGANIZATION_TYPES[type] !== undefined) profile.subscriptionType = ORGANIZATION_TYPES[type];
  const tier = fields['rate_limit_tier'];
  if (typeof tier === 'string' && tier !== '') profile.rateLimitTier = tier;
  return profile;
}

export function fetchClaudeUsage(apiUrl: string, accessToken: string, options: AccountFetchOptions): Promise<AccountFetch<ClaudeUsage>> {
  return fetchAccountJson(`${trimSlash(apiUrl)}/api/oauth/usage`, accessToken, options, (body) =>
    parseClaudeUsage(body, Math.floor(options.nowMs() / 1000)),
  );
}

export function fetchClaudeProfile(
  apiUrl: string,
  accessToken: string,
  options: AccountFetchOptions,
): Promise<AccountFetch<ClaudeProfile>> {
  return fetchAccountJson(`${trimSlash(apiUrl)}/api/oauth/profile`, accessToken, options, parseClaudeProfile);
}

async function fetchAccountJson<T>(
  url: string,
  accessToken: string,
  options: AccountFetchOptions,
  parse: (body: unknown) => T | undefined,
): Promise<AccountFetch<T>> {
  try {
    const response = await exchange(new URL(url), {
      method: 'GET',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'anthropic-beta': OAUTH_BETA,
        'content-type': 'application/json',
        'user-agent': CLAUDE_CODE_USER_AGENT,
      },
      timeoutMs: options.timeoutMs ?? 5000,
      maxBytes: MAX_ACCOUNT_RESPONSE_BYTES,
    });
    const text = response.text;
    if (response.status === 429) {
      const retryAfter = parseUnifiedHeaders(response.headers, Math.floor(options.nowMs() / 1000))?.retryAfterSeconds;
      return { kind: 'rate_limited', retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000 };
    }
    if (response.status === 401 || (response.status === 403 && isRevokedMessage(text))) {
      return { kind: 'auth', status: response.status, body: text };
    }
    if (response.status === 403) return { kind: 'forbidden' };
    if (response.status !== 200) return { kind: 'failed', message: `${url} answered ${response.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'failed', message: `${url} answered with invalid JSON` };
    }
    const value = parse(body);
    return value === undefined ? { kind: 'failed', message: `${url} answered an unexpected shape` } : { kind: 'ok', value };
  } catch (error) {
    return { kind: 'failed', message: `${url} unreachable (${errorMessage(error)})` };
  }
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
