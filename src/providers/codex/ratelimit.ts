/**
 * Codex rate limits (openai/codex codex-rs/codex-api/src/rate_limits.rs): tolerant parsing of one
 * account's `x-codex-*` headers and of the WebSocket `codex.rate_limits` event into one shape, and
 * rendering of the pool aggregate the client sees instead (PROTOCOL.md › Headers). A window's
 * meaning comes from its length, never from its slot: a weekly-only plan reports its weekly window
 * as "primary".
 */
import type { ProviderStatus, WindowUsage } from '../../status/index.ts';
import {
  headerReader,
  parseDecimal,
  parseEpochSeconds,
  parseRetryAfter,
  PLAN_WEIGHT_HEADER,
  type HeaderGetter,
  type HeaderSource,
} from '../../upstream/index.ts';

export interface CodexRateLimit {
  fiveHour?: WindowUsage;
  weekly?: WindowUsage;
  /** `x-codex-plan-type` / the event's `plan_type`. */
  planType?: string;
  /** A peer node's aggregate weight (`x-quotamesh-plan-weight`), for external credentials. */
  planWeight?: number;
  retryAfterSeconds?: number;
  /** `x-codex-rate-limit-reached-type`: the response was refused for a spent window. */
  limitReachedType?: string;
}

/** One window as the wire reports it, before its length says which one it is. */
export interface CodexRawWindow {
  slot: 'primary' | 'secondary';
  /** Percent 0–100 (Codex percents are never fractions). */
  usedPercent: number;
  /** 0 = not reported. */
  windowMinutes: number;
  /** Unix seconds; 0 = unknown. */
  resetAt: number;
}

export const FIVE_HOUR_MINUTES = 300;
export const WEEKLY_MINUTES = 10_080;
/** Windows shorter than a day are the "5 h" kind; a day or longer, the weekly kind. */
const LONG_WINDOW_MINUTES = 24 * 60;
const DEFAULT_FAMILY = 'codex';
const FAMILY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const SLOTS = ['primary', 'secondary'] as const;

/**
 * Reads what a response says about its account; garbage is skipped, never thrown on. The
 * headline numbers come from the `codex` family, else from the family `x-codex-active-limit`
 * names (as sing-box reads it). `undefined` when nothing usable was found.
 */
export function parseCodexHeaders(headers: HeaderSource, nowSeconds: number): CodexRateLimit | undefined {
  const get = headerReader(headers);
  let windows = readFamily(get, DEFAULT_FAMILY, nowSeconds);
  const active = normaliseFamily(get('x-codex-active-limit'));
  if (windows.length === 0 && active !== undefined) windows = readFamily(get, active, nowSeconds);
  const result: CodexRateLimit = classifyCodexWindows(windows);
  const planType = get('x-codex-plan-type')?.trim().toLowerCase();
  if (planType !== undefined && FAMILY.test(planType)) result.planType = planType;
  const planWeight = parseDecimal(get(PLAN_WEIGHT_HEADER) ?? get(OCM_PLAN_WEIGHT_HEADER));
  if (planWeight !== undefined && planWeight > 0) result.planWeight = planWeight;
  const retryAfter = parseRetryAfter(get('retry-after'), nowSeconds);
  if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
  const reached = get('x-codex-rate-limit-reached-type')?.trim();
  if (reached !== undefined && reached !== '') result.limitReachedType = reached;
  return Object.keys(result).length === 0 ? undefined : result;
}

/** `{"type":"codex.rate_limits","plan_type",…,"rate_limits":{"primary":{…},"secondary":…}}` (WebSocket mode). */
export function parseCodexRateLimitsEvent(event: unknown, nowSeconds: number): CodexRateLimit | undefined {
  if (!isObject(event) || event['type'] !== 'codex.rate_limits') return undefined;
  const limits = isObject(event['rate_limits']) ? event['rate_limits'] : {};
  const windows: CodexRawWindow[] = [];
  for (const slot of SLOTS) {
    const window = rawWindow(slot, limits[slot], nowSeconds);
    if (window !== undefined) windows.push(window);
  }
  const result: CodexRateLimit = classifyCodexWindows(windows);
  const planType = event['plan_type'];
  if (typeof planType === 'string' && FAMILY.test(planType.toLowerCase())) result.planType = planType.toLowerCase();
  return Object.keys(result).length === 0 ? undefined : result;
}

/**
 * The reset a 429's body names (`resets_at`, else `resets_in_seconds`), in Unix seconds; for an
 * HTTP body `{"error":{…}}` and a WebSocket `{"type":"error","status":429,"error":{…}}` alike.
 */
export function parseCodexErrorReset(bodyText: string | undefined, nowSeconds: number): number | undefined {
  let body: unknown;
  try {
    body = JSON.parse(bodyText ?? '');
  } catch {
    return undefined;
  }
  const error = isObject(body) && isObject(body['error']) ? body['error'] : undefined;
  const resetAt = parseEpochSeconds(numberText(error?.['resets_at']), nowSeconds);
  if (resetAt !== undefined && resetAt > nowSeconds) return resetAt;
  const resetsIn = parseDecimal(numberText(error?.['resets_in_seconds']));
  return resetsIn !== undefined && resetsIn > 0 && resetsIn <= 400 * 24 * 3600 ? nowSeconds + Math.ceil(resetsIn) : undefined;
}

/** What a response says about its account being refused, and until when. */
export interface CodexRefusal {
  /** A window is spent (a 2xx saying so must not end a bench). */
  isRejected: boolean;
  /** Unix seconds the account is expected back; undefined = not said. */
  resetAt?: number;
  retryAfterSeconds?: number;
}

/**
 * The body's `resets_at` is the most precise end; else the latest reset among the spent windows.
 * Never blindly the primary's: when the weekly window is the spent one, the 5 h reset would
 * bring the account back days too early (sing-box does, service/ocm).
 */
export function codexRefusal(limits: CodexRateLimit | undefined, bodyText: string | undefined, nowSeconds: number): CodexRefusal {
  const spent = [limits?.fiveHour, limits?.weekly].filter(
    (window): window is WindowUsage => window !== undefined && window.utilization >= 100,
  );
  const refusal: CodexRefusal = { isRejected: spent.length > 0 || limits?.limitReachedType !== undefined };
  const spentReset = Math.max(0, ...spent.map((window) => window.resetAt));
  const resetAt = parseCodexErrorReset(bodyText, nowSeconds) ?? (spentReset > nowSeconds ? spentReset : undefined);
  if (resetAt !== undefined) refusal.resetAt = resetAt;
  if (limits?.retryAfterSeconds !== undefined) refusal.retryAfterSeconds = limits.retryAfterSeconds;
  return refusal;
}

/**
 * Sorts windows by length; a window without a length falls back to its slot (primary 5 h,
 * secondary weekly). Two windows of one kind keep the fuller, the safer reading.
 */
export function classifyCodexWindows(windows: readonly CodexRawWindow[]): { fiveHour?: WindowUsage; weekly?: WindowUsage } {
  const result: { fiveHour?: WindowUsage; weekly?: WindowUsage } = {};
  for (const window of windows) {
    const isWeekly = window.windowMinutes > 0 ? window.windowMinutes >= LONG_WINDOW_MINUTES : window.slot === 'secondary';
    const usage: WindowUsage = { utilization: window.usedPercent, resetAt: window.resetAt };
    const key = isWeekly ? 'weekly' : 'fiveHour';
    const previous = result[key];
    if (previous === undefined || usage.utilization > previous.utilization) result[key] = usage;
  }
  return result;
}

/** What the client sees: the aggregate as the default family, 5 h primary and weekly secondary. */
export function renderCodexHeaders(aggregate: ProviderStatus, nowSeconds: number): Record<string, string> {
  const headers = renderCodexWindows(
    { utilization: aggregate.five_hour_utilization, resetAt: aggregate.five_hour_reset },
    { utilization: aggregate.weekly_utilization, resetAt: aggregate.weekly_reset },
    nowSeconds,
  );
  if (Number.isFinite(aggregate.plan_weight) && aggregate.plan_weight > 0) headers[PLAN_WEIGHT_HEADER] = String(aggregate.plan_weight);
  return headers;
}

export function renderCodexWindows(
  fiveHour: WindowUsage | undefined,
  weekly: WindowUsage | undefined,
  nowSeconds: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const slots: Array<[string, WindowUsage | undefined, number]> = [
    ['primary', fiveHour, FIVE_HOUR_MINUTES],
    ['secondary', weekly, WEEKLY_MINUTES],
  ];
  for (const [slot, window, minutes] of slots) {
    if (window === undefined || !Number.isFinite(window.utilization)) continue;
    const prefix = `x-${DEFAULT_FAMILY}-${slot}`;
    headers[`${prefix}-used-percent`] = Math.min(100, Math.max(0, window.utilization)).toFixed(2);
    headers[`${prefix}-window-minutes`] = String(minutes);
    if (window.resetAt > 0) {
      headers[`${prefix}-reset-at`] = String(Math.round(window.resetAt));
      headers[`${prefix}-reset-after-seconds`] = String(Math.max(0, Math.round(window.resetAt - nowSeconds)));
    }
  }
  return headers;
}

/** sing-box OCM's aggregate weight (`service/ocm/service_status.go`), read from sing-box peers. */
export const OCM_PLAN_WEIGHT_HEADER = 'x-ocm-plan-weight';

/** The aggregate headers as a sing-box OCM caller reads them (ProviderAdapter.forSingBox). */
export function codexHeadersForSingBox(headers: Record<string, string>): Record<string, string> {
  const weight = headers[PLAN_WEIGHT_HEADER];
  return weight === undefined ? { ...headers } : { ...headers, [OCM_PLAN_WEIGHT_HEADER]: weight };
}

/**
 * Every upstream header that describes one account, of any limit family (the windows plus the
 * plan, credits and promo headers): the proxy drops them all before adding the aggregate.
 * `x-codex-turn-state` is not among them: it routes the client's next turn and must pass.
 */
export function isCodexAccountHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === PLAN_WEIGHT_HEADER ||
    lower === OCM_PLAN_WEIGHT_HEADER ||
    lower === 'x-codex-active-limit' ||
    lower === 'x-codex-plan-type' ||
    lower === 'x-codex-rate-limit-reached-type' ||
    lower === 'x-codex-promo-message' ||
    lower.startsWith('x-codex-credits-') ||
    /^x-[a-z0-9-]+-(primary|secondary)-/.test(lower) ||
    /^x-[a-z0-9-]+-limit-name$/.test(lower)
  );
}

function readFamily(get: HeaderGetter, family: string, nowSeconds: number): CodexRawWindow[] {
  const windows: CodexRawWindow[] = [];
  for (const slot of SLOTS) {
    const prefix = `x-${family}-${slot}`;
    const window = rawWindow(
      slot,
      {
        used_percent: get(`${prefix}-used-percent`),
        window_minutes: get(`${prefix}-window-minutes`),
        reset_at: get(`${prefix}-reset-at`),
        reset_after_seconds: get(`${prefix}-reset-after-seconds`),
      },
      nowSeconds,
    );
    if (window !== undefined) windows.push(window);
  }
  return windows;
}

/** One window from header strings or event numbers; all zero (or no percent) means absent. */
function rawWindow(slot: CodexRawWindow['slot'], value: unknown, nowSeconds: number): CodexRawWindow | undefined {
  if (!isObject(value)) return undefined;
  const used = parseDecimal(numberText(value['used_percent']));
  if (used === undefined) return undefined;
  const minutes = parseDecimal(numberText(value['window_minutes'])) ?? 0;
  let resetAt = parseEpochSeconds(numberText(value['reset_at']), nowSeconds) ?? 0;
  const resetAfter = parseDecimal(numberText(value['reset_after_seconds']));
  if (resetAt === 0 && resetAfter !== undefined && resetAfter > 0 && resetAfter <= 400 * 24 * 3600)
    resetAt = nowSeconds + Math.ceil(resetAfter);
  if (used === 0 && minutes === 0 && resetAt === 0) return undefined;
  return { slot, usedPercent: Math.min(100, used), windowMinutes: Math.round(minutes), resetAt };
}

/** `_` in a family id becomes `-` in header names (as codex-rs/codex-api/src/rate_limits.rs reads them). */
function normaliseFamily(value: string | undefined): string | undefined {
  const family = value?.trim().toLowerCase().replaceAll('_', '-');
  return family !== undefined && FAMILY.test(family) ? family : undefined;
}

function numberText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
