/**
 * Issue 15's enforcement and visibility: a user's or peer's `limits` (five_hour_percent,
 * weekly_percent) against the points attributed to it (attribution.ts). Over a limit, admission
 * answers 429 in the provider's shape with the time enough of its consumption ages out: the
 * oldest entries leave the rolling window one by one, and the first moment the sum drops below
 * the limit is the retry time (retryAtMs).
 */
import { QuotaMeshError, toUnixSeconds } from '../lib/index.ts';
import { FIVE_HOUR_MS, fromNano, retryAtMs, toNano, WEEK_MS, type ConsumptionStore, type WindowKey } from '../pool/index.ts';
import { callerKey } from './attribution.ts';
import type { CallerLimits, ConsumerRow } from '../status/index.ts';
import type { Caller } from './auth.ts';
import type { Config, LimitsConfig } from './config-schema.ts';
import { formatDuration } from './exhausted.ts';

/** What `/v1/status` shows a caller about itself (PROTOCOL.md › Status JSON). */
export interface CallerUsage {
  my_five_hour_percent: number;
  my_weekly_percent: number;
  my_limits: CallerLimits;
  /** Unix seconds when the caller may use this provider again; 0 while it may. */
  my_retry_at: number;
}

const WINDOWS: ReadonlyArray<{ window: WindowKey; limit: keyof LimitsConfig; windowMs: number; label: string }> = [
  { window: 'fiveHour', limit: 'five_hour_percent', windowMs: FIVE_HOUR_MS, label: '5-hour' },
  { window: 'weekly', limit: 'weekly_percent', windowMs: WEEK_MS, label: 'weekly' },
];

export function limitsOf(caller: Caller): LimitsConfig | undefined {
  if (caller.kind === 'user') return caller.user.limits;
  if (caller.kind === 'peer') return caller.peer.limits;
  return undefined;
}

/** The window over its limit with the latest retry time, if any. */
function overLimit(
  store: ConsumptionStore,
  key: string,
  provider: string,
  limits: LimitsConfig | undefined,
  nowMs: number,
): { label: string; limit: number; used: number; name: string; retryAtMs: number } | undefined {
  if (limits === undefined) return undefined;
  const sums = store.sums(key, provider, nowMs);
  let worst: { label: string; limit: number; used: number; name: string; retryAtMs: number } | undefined;
  for (const { window, limit, windowMs, label } of WINDOWS) {
    const percent = limits[limit];
    if (percent === undefined) continue;
    const limitNano = toNano(percent);
    if (sums[window] < limitNano) continue;
    // A limit of 0 never ages out: the caller may not use this pool at all; say so a window ahead.
    const retry =
      limitNano === 0 ? nowMs + windowMs : (retryAtMs(store.entries(key, provider), window, windowMs, limitNano, nowMs) ?? nowMs + 1000);
    if (worst === undefined || retry > worst.retryAtMs)
      worst = { label, limit: percent, used: fromNano(sums[window]), name: limit, retryAtMs: retry };
  }
  return worst;
}

export function callerRefusal(store: ConsumptionStore, caller: Caller, provider: string, nowMs: number): QuotaMeshError | undefined {
  const over = overLimit(store, callerKey(caller), provider, limitsOf(caller), nowMs);
  if (over === undefined) return undefined;
  const retryAfterSeconds = Math.max(1, Math.ceil((over.retryAtMs - nowMs) / 1000));
  return new QuotaMeshError(
    'caller_limit_exceeded',
    429,
    'rate_limit_error',
    `you have used ${round(over.used)}% of this pool's ${over.label} capacity, over your limit ${over.name} = ${over.limit}; ` +
      `enough of it ages out in ${formatDuration(retryAfterSeconds)}`,
    { retryAfterSeconds, retryAt: toUnixSeconds(nowMs) + retryAfterSeconds },
  );
}

export function callerUsage(store: ConsumptionStore, caller: Caller, provider: string, nowMs: number): CallerUsage {
  const key = callerKey(caller);
  const sums = store.sums(key, provider, nowMs);
  const limits = limitsOf(caller);
  const over = overLimit(store, key, provider, limits, nowMs);
  return {
    my_five_hour_percent: round(fromNano(sums.fiveHour)),
    my_weekly_percent: round(fromNano(sums.weekly)),
    my_limits: { five_hour_percent: limits?.five_hour_percent ?? null, weekly_percent: limits?.weekly_percent ?? null },
    my_retry_at: over === undefined ? 0 : Math.ceil(over.retryAtMs / 1000),
  };
}

/** Every configured user and peer (and the admin token, when it was used), for the admin. */
export function consumerRows(store: ConsumptionStore, config: Config, provider: string, nowMs: number): ConsumerRow[] {
  const callers: Caller[] = [
    ...config.users.map((user) => ({ kind: 'user', name: user.name, user }) as const),
    ...config.peers.map((peer) => ({ kind: 'peer', name: peer.name, peer }) as const),
  ];
  if (store.keys().some((key) => key.caller === 'admin:admin' && key.provider === provider)) callers.push({ kind: 'admin', name: 'admin' });
  return callers.map((caller) => {
    const usage = callerUsage(store, caller, provider, nowMs);
    return {
      caller: caller.name,
      kind: caller.kind,
      five_hour_percent: usage.my_five_hour_percent,
      weekly_percent: usage.my_weekly_percent,
      five_hour_limit: usage.my_limits.five_hour_percent,
      weekly_limit: usage.my_limits.weekly_percent,
      retry_at: usage.my_retry_at,
    };
  });
}

/** Status numbers to 4 decimals: enough for a tiny share, short in JSON. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
