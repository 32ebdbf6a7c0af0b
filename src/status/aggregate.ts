/**
 * Pool capacity as one number per window (PROTOCOL.md › Status JSON). Pure: every function takes
 * `nowSeconds`, so the same snapshots always give the same payload and `?watch=true` change
 * detection is stable.
 */
import {
  MAX_PLAN_WEIGHT,
  MAX_UNIX_SECONDS,
  type CredentialSnapshot,
  type CredentialStatusRow,
  type ModelLimitStatus,
  type ProviderStatus,
  type WindowUsage,
} from './usage.ts';

/** Aggregate utilisation when nothing is known: report no capacity rather than invent some. */
const NO_DATA_UTILIZATION = 100;

/**
 * Reset-aware view of one window: once its reset time has passed, the window is
 * fully available until fresh data arrives. Anthropic starts the next window on first use, so the
 * new reset is unknown (0). The pool should use this too, so that a stale "capped" value does not
 * keep a credential out of rotation until the next poll (a known weakness of sing-box).
 */
export function effectiveWindow(window: WindowUsage, nowSeconds: number): WindowUsage {
  if (window.resetAt > 0 && window.resetAt <= nowSeconds) return { utilization: 0, resetAt: 0 };
  return window;
}

/**
 * The aggregate (PROTOCOL.md › Status JSON) over the snapshots of one route (the caller has already dropped credentials
 * the route may not use). `credentials` rows are left to the caller: only admins see them.
 *
 * A credential that cannot take a request (`unavailable`: peer down, file missing, revoked)
 * contributes no weight and no capacity: counting it told users about capacity nobody could
 * reach (issue 11, 50 laptops linked and 10 killed). A rate-limited one counts with its real,
 * exhausted windows. Every number is bounded (weights to MAX_PLAN_WEIGHT, times to
 * MAX_UNIX_SECONDS), so no input makes the payload NaN, Infinity or null.
 */
export function aggregateProvider(snapshots: readonly CredentialSnapshot[], nowSeconds: number): ProviderStatus {
  const fiveHour = new WindowSum();
  const weekly = new WindowSum();
  let totalWeight = 0;

  for (const snapshot of snapshots) {
    if (snapshot.state === 'unavailable' || !hasSnapshotData(snapshot)) continue;
    const weight = boundedWeight(snapshot.planWeight);
    if (weight === 0) continue;
    totalWeight += weight;
    fiveHour.add(effectiveWindow(snapshot.fiveHour, nowSeconds), snapshot.cap5h, weight, nowSeconds);
    weekly.add(effectiveWindow(snapshot.weekly, nowSeconds), snapshot.capWeekly, weight, nowSeconds);
  }

  const availability = aggregateAvailability(snapshots, nowSeconds);
  const modelLimits = aggregateModelLimits(snapshots, nowSeconds);
  const withModelLimits = modelLimits.length === 0 ? {} : { model_limits: modelLimits };
  if (totalWeight === 0) {
    // Zero-weight credentials carry no capacity, so they read like "no data" (sing-box
    // reported 0%, i.e. fully free, which would attract traffic to a pool that cannot serve it).
    return {
      five_hour_utilization: NO_DATA_UTILIZATION,
      five_hour_reset: 0,
      weekly_utilization: NO_DATA_UTILIZATION,
      weekly_reset: 0,
      plan_weight: 0,
      ...availability,
      ...withModelLimits,
    };
  }
  return {
    five_hour_utilization: fiveHour.utilization(totalWeight),
    five_hour_reset: fiveHour.reset(nowSeconds),
    weekly_utilization: weekly.utilization(totalWeight),
    weekly_reset: weekly.reset(nowSeconds),
    plan_weight: roundTo(totalWeight, 6),
    ...availability,
    ...withModelLimits,
  };
}

/**
 * Model families some usable account of the route refuses (an Opus-exhausted account keeps
 * serving Sonnet): the weight that still serves each family and when the first block ends.
 * Accounts that serve nothing at all are the aggregate's business, not a family's.
 */
export function aggregateModelLimits(snapshots: readonly CredentialSnapshot[], nowSeconds: number): ModelLimitStatus[] {
  const serving = snapshots.filter((snapshot) => snapshot.state === 'usable');
  const servingWeight = serving.reduce((sum, snapshot) => sum + boundedWeight(snapshot.planWeight), 0);
  const families = new Map<string, { blockedWeight: number; blockedCount: number; firstEnd: number }>();
  for (const snapshot of serving) {
    for (const limit of snapshot.modelLimits ?? []) {
      const until = wholeSeconds(limit.until);
      if (until <= nowSeconds) continue;
      const entry = families.get(limit.family) ?? { blockedWeight: 0, blockedCount: 0, firstEnd: Infinity };
      entry.blockedWeight += boundedWeight(snapshot.planWeight);
      entry.blockedCount += 1;
      entry.firstEnd = Math.min(entry.firstEnd, until);
      families.set(limit.family, entry);
    }
  }
  return [...families]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([family, entry]) => {
      const isExhausted = entry.blockedCount === serving.length;
      return {
        family,
        state: isExhausted ? 'rate_limited' : 'usable',
        blocked_plan_weight: roundTo(entry.blockedWeight, 6),
        available_plan_weight: roundTo(Math.max(0, servingWeight - entry.blockedWeight), 6),
        retry_at: entry.firstEnd,
      };
    });
}

/**
 * Per-credential rows for the admin view. With `nowSeconds` the windows are shown reset-aware,
 * matching what the aggregate used; without it they are the last values seen.
 */
export function credentialRows(snapshots: readonly CredentialSnapshot[], nowSeconds?: number): CredentialStatusRow[] {
  return snapshots.map((snapshot) => {
    const fiveHour = nowSeconds === undefined ? snapshot.fiveHour : effectiveWindow(snapshot.fiveHour, nowSeconds);
    const weekly = nowSeconds === undefined ? snapshot.weekly : effectiveWindow(snapshot.weekly, nowSeconds);
    return {
      tag: snapshot.tag,
      type: snapshot.type,
      state: snapshot.state,
      five_hour_utilization: roundPercent(fiveHour.utilization),
      weekly_utilization: roundPercent(weekly.utilization),
      plan_weight: roundTo(boundedWeight(snapshot.planWeight), 6),
      five_hour_reset: wholeSeconds(fiveHour.resetAt),
      weekly_reset: wholeSeconds(weekly.resetAt),
      retry_at: snapshot.state === 'rate_limited' ? wholeSeconds(snapshot.retryAt) : 0,
      peer: snapshot.peer,
      ...rowModelLimits(snapshot, nowSeconds),
    };
  });
}

function rowModelLimits(snapshot: CredentialSnapshot, nowSeconds: number | undefined): Pick<CredentialStatusRow, 'model_limits'> {
  const limits = (snapshot.modelLimits ?? [])
    .map((limit) => ({ family: limit.family, until: wholeSeconds(limit.until) }))
    .filter((limit) => limit.until > (nowSeconds ?? 0));
  return limits.length === 0 ? {} : { model_limits: limits };
}

/**
 * sing-box's rule: a snapshot counts once data was seen, or when it carries any non-zero
 * number, so a producer that forgets the flag cannot silently drop real capacity.
 */
function hasSnapshotData(snapshot: CredentialSnapshot): boolean {
  return (
    snapshot.hasData ||
    snapshot.fiveHour.utilization !== 0 ||
    snapshot.weekly.utilization !== 0 ||
    snapshot.fiveHour.resetAt !== 0 ||
    snapshot.weekly.resetAt !== 0
  );
}

/** Usable beats rate-limited beats unavailable; a pool with no credentials is unavailable. */
function aggregateAvailability(snapshots: readonly CredentialSnapshot[], nowSeconds: number): Pick<ProviderStatus, 'state' | 'retry_at'> {
  if (snapshots.some((snapshot) => snapshot.state === 'usable')) {
    return { state: 'usable', retry_at: 0 };
  }
  const limited = snapshots.filter((snapshot) => snapshot.state === 'rate_limited');
  if (limited.length === 0) return { state: 'unavailable', retry_at: 0 };
  // Past retry times say nothing about when capacity returns, so only future ones count.
  const futureRetries = limited.map((snapshot) => wholeSeconds(snapshot.retryAt)).filter((retryAt) => retryAt > nowSeconds);
  return {
    state: 'rate_limited',
    retry_at: futureRetries.length === 0 ? 0 : Math.min(...futureRetries),
  };
}

/** Running sums for one window: remaining capacity and time-until-reset, both weighted. */
class WindowSum {
  #remainingWeighted = 0;
  #resetSecondsWeighted = 0;
  #resetWeight = 0;

  add(window: WindowUsage, cap: number, weight: number, nowSeconds: number): void {
    const used = clamp(finiteOr(window.utilization, NO_DATA_UTILIZATION), 0, 100);
    const remaining = Math.max(0, clamp(finiteOr(cap, 100), 0, 100) - used);
    this.#remainingWeighted += remaining * weight;
    // Past or unknown resets are skipped, not clamped to now: clamping made the output jitter
    // with every request (sing-box fix `f57eff33`).
    if (Number.isFinite(window.resetAt) && window.resetAt > nowSeconds && window.resetAt <= MAX_UNIX_SECONDS) {
      this.#resetSecondsWeighted += (window.resetAt - nowSeconds) * weight;
      this.#resetWeight += weight;
    }
  }

  utilization(totalWeight: number): number {
    return roundPercent(100 - this.#remainingWeighted / totalWeight);
  }

  reset(nowSeconds: number): number {
    if (this.#resetWeight === 0) return 0;
    return Math.round(nowSeconds + this.#resetSecondsWeighted / this.#resetWeight);
  }
}

/** Two decimals: finer than any header carries, coarse enough that float noise never shows. */
export function roundPercent(value: number): number {
  return roundTo(clamp(finiteOr(value, NO_DATA_UTILIZATION), 0, 100), 2);
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  // `+ 0` turns -0 into 0 so JSON and Object.is comparisons stay stable.
  return Math.round(value * factor) / factor + 0;
}

function wholeSeconds(value: number): number {
  return Number.isFinite(value) && value > 0 && value <= MAX_UNIX_SECONDS ? Math.round(value) : 0;
}

function boundedWeight(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.min(value, MAX_PLAN_WEIGHT) : 0;
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
