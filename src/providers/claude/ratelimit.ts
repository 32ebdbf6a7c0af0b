/**
 * Anthropic `anthropic-ratelimit-unified-*` headers (as Claude Code and router-for-me/CLIProxyAPI
 * internal/runtime/executor/helps/claude_ratelimit.go read them): tolerant parsing of
 * what one account's response says, and rendering of what the client sees instead — the pool
 * aggregate, never one account's details (PROTOCOL.md › Headers). Pure; time comes in as
 * `nowSeconds`.
 */
import type { StatusFacts } from '../../pool/index.ts';
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
import { claimWarnings, type ClaimWarning } from './warnings.ts';

const UNIFIED_PREFIX = 'anthropic-ratelimit-unified-';
export type UnifiedStatus = 'allowed' | 'allowed_warning' | 'rejected';

export interface UnifiedRateLimit {
  fiveHour?: WindowUsage;
  weekly?: WindowUsage;
  status?: UnifiedStatus;
  /** `five_hour`, `seven_day`, or another claim the API sent (`seven_day_opus`, `overage`). */
  representativeClaim?: string;
  /** Unix seconds of the soonest relevant reset (`-reset`). */
  resetAt?: number;
  retryAfterSeconds?: number;
  /** A peer node's aggregate weight (`x-quotamesh-plan-weight`), for external credentials. */
  planWeight?: number;
}

export type { HeaderSource } from '../../upstream/index.ts';

/** Header utilisations are fractions; a value this far past 1 is a percent or junk, not usage. */
const MAX_PLAUSIBLE_FRACTION = 1.5;
/** sing-box CCM's aggregate weight (`service/ccm/service_status.go`), read from sing-box peers. */
export const CCM_PLAN_WEIGHT_HEADER = 'x-ccm-plan-weight';
const SING_BOX_CLAIMS: Readonly<Record<string, string>> = { five_hour: '5h', seven_day: '7d' };
const CLAIM = /^[a-z0-9_]{1,64}$/;
/** Claude Code before the five_hour/seven_day names, and sing-box's tests, use these. */
const LEGACY_CLAIMS: Readonly<Record<string, string>> = { '5h': 'five_hour', '7d': 'seven_day' };

/**
 * Reads what a response says about its account. Absent or garbage values are skipped, never
 * thrown on: a 429 may carry no unified headers at all, and sing-box crashed on exactly that. `undefined` when nothing usable was found.
 */
export function parseUnifiedHeaders(headers: HeaderSource, nowSeconds: number): UnifiedRateLimit | undefined {
  const get = headerReader(headers);
  const result: UnifiedRateLimit = {};
  const fiveHour = parseWindow(get, '5h', nowSeconds);
  if (fiveHour) result.fiveHour = fiveHour;
  const weekly = parseWindow(get, '7d', nowSeconds);
  if (weekly) result.weekly = weekly;
  const status = parseStatus(get(`${UNIFIED_PREFIX}status`));
  if (status) result.status = status;
  const claim = parseClaim(get(`${UNIFIED_PREFIX}representative-claim`));
  if (claim) result.representativeClaim = claim;
  const resetAt = parseEpochSeconds(get(`${UNIFIED_PREFIX}reset`), nowSeconds);
  if (resetAt !== undefined) result.resetAt = resetAt;
  const retryAfter = parseRetryAfter(get('retry-after'), nowSeconds);
  if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
  const planWeight = parseDecimal(get(PLAN_WEIGHT_HEADER) ?? get(CCM_PLAN_WEIGHT_HEADER));
  if (planWeight !== undefined && planWeight > 0) result.planWeight = planWeight;
  return Object.keys(result).length === 0 ? undefined : result;
}

/** The aggregate headers as a sing-box CCM caller reads them (ProviderAdapter.forSingBox). */
export function unifiedHeadersForSingBox(headers: Record<string, string>): Record<string, string> {
  const result = { ...headers };
  const claimHeader = `${UNIFIED_PREFIX}representative-claim`;
  const claim = result[claimHeader];
  if (claim !== undefined) result[claimHeader] = SING_BOX_CLAIMS[claim] ?? '5h';
  const weight = result[PLAN_WEIGHT_HEADER];
  if (weight !== undefined) result[CCM_PLAN_WEIGHT_HEADER] = weight;
  return result;
}

/** True for every header the proxy must drop from an upstream response before adding its own. */
export function isUnifiedHeader(name: string): boolean {
  return name.toLowerCase().startsWith(UNIFIED_PREFIX);
}

/**
 * The unified headers a client sees for the pool aggregate (PROTOCOL.md › Headers; sing-box's
 * rewriting, with the real claim
 * names). Claude Code reads these to warn the user and to decide when to stop.
 */
export function renderUnifiedHeaders(aggregate: ProviderStatus, nowSeconds: number): Record<string, string> {
  const [fiveHour, weekly] = claimWarnings(aggregate, nowSeconds);
  const headers: Record<string, string> = {};
  for (const claim of [fiveHour, weekly]) {
    const prefix = `${UNIFIED_PREFIX}${claim.abbreviation}`;
    headers[`${prefix}-utilization`] = (claim.utilization / 100).toFixed(6);
    if (claim.resetAt > 0) headers[`${prefix}-reset`] = String(claim.resetAt);
    headers[`${prefix}-status`] = claimStatus(claim);
    if (claim.surpassedThreshold !== undefined) {
      headers[`${prefix}-surpassed-threshold`] = String(claim.surpassedThreshold);
    }
  }

  const isRejected = fiveHour.isExhausted || weekly.isExhausted || aggregate.state === 'rate_limited';
  const isWarning = fiveHour.isWarning || weekly.isWarning;
  headers[`${UNIFIED_PREFIX}status`] = isRejected ? 'rejected' : isWarning ? 'allowed_warning' : 'allowed';

  const representative = representativeClaim(fiveHour, weekly);
  headers[`${UNIFIED_PREFIX}representative-claim`] = representative.claim;
  // A rate-limited pool with no known window reset still knows when it expects capacity back.
  const resetAt = representative.resetAt > 0 ? representative.resetAt : aggregate.state === 'rate_limited' ? aggregate.retry_at : 0;
  if (resetAt > 0) headers[`${UNIFIED_PREFIX}reset`] = String(resetAt);

  if (Number.isFinite(aggregate.plan_weight) && aggregate.plan_weight > 0) {
    headers[PLAN_WEIGHT_HEADER] = String(aggregate.plan_weight);
  }
  return headers;
}

function claimStatus(claim: ClaimWarning): UnifiedStatus {
  if (claim.isExhausted) return 'rejected';
  return claim.isWarning ? 'allowed_warning' : 'allowed';
}

/**
 * Reference priority: exhausted over warning over neither; then higher utilisation; then the
 * window whose reset is known, preferring the 5-hour one.
 */
function representativeClaim(fiveHour: ClaimWarning, weekly: ClaimWarning): ClaimWarning {
  if (fiveHour.priority !== weekly.priority) {
    return fiveHour.priority > weekly.priority ? fiveHour : weekly;
  }
  if (fiveHour.utilization !== weekly.utilization) {
    return fiveHour.utilization > weekly.utilization ? fiveHour : weekly;
  }
  if (fiveHour.resetAt > 0 || weekly.resetAt === 0) return fiveHour;
  return weekly;
}

function parseWindow(get: HeaderGetter, abbreviation: '5h' | '7d', nowSeconds: number): WindowUsage | undefined {
  const fraction = parseDecimal(get(`${UNIFIED_PREFIX}${abbreviation}-utilization`));
  if (fraction === undefined || fraction > MAX_PLAUSIBLE_FRACTION) return undefined;
  // Four decimals keeps the six the header carries (as a fraction) without float noise.
  const utilization = Math.round(Math.min(fraction, 1) * 1_000_000) / 10_000;
  const resetAt = parseEpochSeconds(get(`${UNIFIED_PREFIX}${abbreviation}-reset`), nowSeconds);
  return { utilization, resetAt: resetAt ?? 0 };
}

function parseStatus(value: string | undefined): UnifiedStatus | undefined {
  const status = value?.trim().toLowerCase();
  return status === 'allowed' || status === 'allowed_warning' || status === 'rejected' ? status : undefined;
}

function parseClaim(value: string | undefined): string | undefined {
  const claim = value?.trim().toLowerCase();
  if (claim === undefined) return undefined;
  return LEGACY_CLAIMS[claim] ?? (CLAIM.test(claim) ? claim : undefined);
}

/**
 * What a response's status and unified headers say, in the pool's provider-neutral terms. A
 * rejected 429 names the window it hit; that window's reset is the most precise end. A 429 that
 * is not a window rejection (overage disabled, odd clients) only has Retry-After, if that.
 */
export function claudeStatusFacts(limits: UnifiedRateLimit | undefined): StatusFacts {
  const hint: StatusFacts['hint'] = {};
  if (limits?.status === 'rejected') {
    const claimReset =
      limits.representativeClaim === 'five_hour'
        ? limits.fiveHour?.resetAt
        : limits.representativeClaim === 'seven_day'
          ? limits.weekly?.resetAt
          : undefined;
    const resetAt = claimReset !== undefined && claimReset > 0 ? claimReset : limits.resetAt;
    if (resetAt !== undefined && resetAt > 0) hint.resetAtMs = resetAt * 1000;
  }
  if (limits?.retryAfterSeconds !== undefined) hint.retryAfterMs = limits.retryAfterSeconds * 1000;
  return { isRejected: limits?.status === 'rejected', hint };
}
