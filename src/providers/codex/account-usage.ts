/**
 * `GET {usage_url}` = `https://chatgpt.com/backend-api/wham/usage` (openai/codex
 * codex-rs/backend-client/src/client.rs). Every field is optional and windows may be null; which
 * window is which comes from `limit_window_seconds`, not from primary/secondary (a weekly-only plan
 * reports its week as primary). Never throws.
 */
import { errorMessage } from '../../lib/index.ts';
import type { WindowUsage } from '../../status/index.ts';
import {
  boundedReset,
  exchange,
  headerReader,
  MAX_ACCOUNT_RESPONSE_BYTES,
  parseRetryAfter,
  type AccountFetch,
} from '../../upstream/index.ts';
import { classifyCodexWindows, type CodexRawWindow } from './ratelimit.ts';

export const DEFAULT_CODEX_USAGE_URL = 'https://chatgpt.com/backend-api/wham/usage';
/** Codex CLI's originator (codex-rs/login/src/auth/default_client.rs); the backend keys on it. */
export const CODEX_ORIGINATOR = 'codex_cli_rs';
export const CODEX_USER_AGENT = 'codex_cli_rs/0.0.0 (quotamesh)';

export interface CodexUsage {
  fiveHour?: WindowUsage;
  weekly?: WindowUsage;
  planType?: string;
}

export function parseCodexUsage(body: unknown, nowSeconds: number): CodexUsage | undefined {
  if (!isObject(body)) return undefined;
  const rateLimit = isObject(body['rate_limit']) ? body['rate_limit'] : {};
  const windows: CodexRawWindow[] = [];
  const primary = usageWindow('primary', rateLimit['primary_window'], nowSeconds);
  if (primary !== undefined) windows.push(primary);
  const secondary = usageWindow('secondary', rateLimit['secondary_window'], nowSeconds);
  if (secondary !== undefined) windows.push(secondary);
  const usage: CodexUsage = classifyCodexWindows(windows);
  const planType = body['plan_type'];
  if (typeof planType === 'string' && planType !== '') usage.planType = planType.toLowerCase();
  return usage;
}

function usageWindow(slot: CodexRawWindow['slot'], value: unknown, nowSeconds: number): CodexRawWindow | undefined {
  if (!isObject(value)) return undefined;
  const used = finite(value['used_percent']);
  if (used === undefined || used < 0) return undefined;
  const seconds = finite(value['limit_window_seconds']) ?? 0;
  const resetAt = finite(value['reset_at']);
  const resetAfter = finite(value['reset_after_seconds']);
  // Bounded as header resets are (≤ 400 days away): a far-future reset must not bench the account for ever.
  const reset =
    resetAt !== undefined && resetAt > 0
      ? boundedReset(resetAt, nowSeconds)
      : resetAfter !== undefined && resetAfter > 0
        ? boundedReset(nowSeconds + Math.ceil(resetAfter), nowSeconds)
        : 0;
  if (used === 0 && seconds <= 0 && reset === 0) return undefined;
  // Window minutes = ceil(seconds / 60), as sing-box converts them.
  return { slot, usedPercent: Math.min(100, used), windowMinutes: seconds > 0 ? Math.ceil(seconds / 60) : 0, resetAt: reset };
}

export interface CodexUsageFetchOptions {
  nowMs: () => number;
  /** Per attempt (5 s, as sing-box). */
  timeoutMs?: number;
}

export async function fetchCodexUsage(
  usageUrl: string,
  accessToken: string,
  accountId: string | undefined,
  options: CodexUsageFetchOptions,
): Promise<AccountFetch<CodexUsage>> {
  try {
    const response = await exchange(new URL(usageUrl), {
      method: 'GET',
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(accountId === undefined ? {} : { 'chatgpt-account-id': accountId }),
        originator: CODEX_ORIGINATOR,
        'user-agent': CODEX_USER_AGENT,
        accept: 'application/json',
      },
      timeoutMs: options.timeoutMs ?? 5000,
      maxBytes: MAX_ACCOUNT_RESPONSE_BYTES,
    });
    const text = response.text;
    const nowSeconds = Math.floor(options.nowMs() / 1000);
    if (response.status === 429) {
      // The endpoint throttling itself, not the account's limit.
      const retryAfter = parseRetryAfter(headerReader(response.headers)('retry-after'), nowSeconds);
      return { kind: 'rate_limited', retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000 };
    }
    if (response.status === 401) return { kind: 'auth', status: 401, body: text };
    if (response.status === 403) return { kind: 'forbidden' };
    if (response.status !== 200) return { kind: 'failed', message: `${usageUrl} answered ${response.status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'failed', message: `${usageUrl} answered with invalid JSON` };
    }
    const value = parseCodexUsage(body, nowSeconds);
    return value === undefined ? { kind: 'failed', message: `${usageUrl} answered an unexpected shape` } : { kind: 'ok', value };
  } catch (error) {
    return { kind: 'failed', message: `${usageUrl} unreachable (${errorMessage(error)})` };
  }
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
