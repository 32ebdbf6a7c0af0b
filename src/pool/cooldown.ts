/**
 * Cooldowns as pure math. A 429 with a reset benches until that reset (clamped: a reset hint weeks
 * away is a bug: router-for-me/CLIProxyAPI issue 5770 saw an "18-day Retry-After"); a 429 without
 * one backs off 1 s doubling to 30 min, so one odd 429 never benches an account for a whole window
 * (Anthropic sends some 429s with no rate-limit headers at all). 529/5xx/transport errors bench for
 * a few seconds only: they say the upstream is busy, not that the account is spent.
 */
export type CooldownCause = 'rate_limit' | 'upstream_error' | 'refused';

export interface Cooldown {
  /** Epoch ms until which the credential is benched; 0 = not benched. */
  untilMs: number;
  /** Consecutive header-less 429s, for the exponential backoff. */
  strikes: number;
  /** Consecutive 529/5xx/transport errors, for the (gentler) error backoff. */
  errorStrikes: number;
  /** Why the current bench exists (`refused`: the vendor refuses the account itself); undefined when not benched. */
  cause: CooldownCause | undefined;
}

export const NO_COOLDOWN: Cooldown = Object.freeze({ untilMs: 0, strikes: 0, errorStrikes: 0, cause: undefined });

const HEADERLESS_BASE_MS = 1000;
const HEADERLESS_MAX_MS = 30 * 60 * 1000;
const LONGEST_RESET_MS = 8 * 24 * 3600 * 1000;
const ERROR_BASE_MS = 2000;
const ERROR_MAX_MS = 30_000;
/**
 * An account the vendor refuses (a disabled organization) is asked again after this long: an
 * owner may fix it, and until then no request should try it first and fail.
 */
export const REFUSED_RECHECK_MS = 60 * 60 * 1000;

export function cooldownAfterRateLimit(previous: Cooldown, hint: { resetAtMs?: number; retryAfterMs?: number }, nowMs: number): Cooldown {
  // A reset already in the past is stale; Retry-After may still say something useful.
  const candidates = [hint.resetAtMs, hint.retryAfterMs === undefined ? undefined : nowMs + hint.retryAfterMs];
  const explicitUntil = candidates.find((until) => until !== undefined && until > nowMs);
  if (explicitUntil !== undefined) {
    return { ...previous, untilMs: Math.min(explicitUntil, nowMs + LONGEST_RESET_MS), strikes: 0, cause: 'rate_limit' };
  }
  const delay = Math.min(HEADERLESS_BASE_MS * 2 ** Math.min(previous.strikes, 30), HEADERLESS_MAX_MS);
  return { ...previous, untilMs: nowMs + delay, strikes: previous.strikes + 1, cause: 'rate_limit' };
}

/** 2 s, 4 s, 8 s … capped at 30 s; never shortens a longer bench that is already running. */
export function cooldownAfterError(previous: Cooldown, nowMs: number): Cooldown {
  const delay = Math.min(ERROR_BASE_MS * 2 ** Math.min(previous.errorStrikes, 30), ERROR_MAX_MS);
  const errorStrikes = previous.errorStrikes + 1;
  if (isCoolingDown(previous, nowMs) && previous.untilMs >= nowMs + delay) return { ...previous, errorStrikes };
  return { ...previous, untilMs: nowMs + delay, errorStrikes, cause: 'upstream_error' };
}

/** The vendor refuses the account itself: out until the recheck, whatever ran before. */
export function cooldownAfterRefusal(previous: Cooldown, nowMs: number): Cooldown {
  return { ...previous, untilMs: Math.max(previous.untilMs, nowMs + REFUSED_RECHECK_MS), cause: 'refused' };
}

/** A success is fresh evidence: the bench and both backoff counters are over. */
export function cooldownAfterSuccess(previous: Cooldown): Cooldown {
  return previous.untilMs === 0 && previous.strikes === 0 && previous.errorStrikes === 0 ? previous : NO_COOLDOWN;
}

/**
 * A usage poll showing capacity ends the bench early, but keeps the strike count: if the next
 * request is refused again the backoff continues where it was.
 */
export function cooldownEndedEarly(previous: Cooldown): Cooldown {
  return previous.untilMs === 0 ? previous : { ...previous, untilMs: 0, cause: undefined };
}

export function isCoolingDown(cooldown: Cooldown, nowMs: number): boolean {
  return cooldown.untilMs > nowMs;
}

/** Tolerant reading of a saved cooldown; anything malformed reads as no cooldown. */
export function parseCooldown(value: unknown, nowMs: number): Cooldown {
  if (value === null || typeof value !== 'object') return NO_COOLDOWN;
  const fields = value as Record<string, unknown>;
  const untilMs = finiteNonNegative(fields['untilMs']);
  const cause =
    fields['cause'] === 'rate_limit' || fields['cause'] === 'upstream_error' || fields['cause'] === 'refused' ? fields['cause'] : undefined;
  return {
    // A saved reset is clamped like a fresh one, so a corrupted file cannot bench for years.
    untilMs: cause === undefined ? 0 : Math.min(untilMs, nowMs + LONGEST_RESET_MS),
    strikes: Math.min(finiteNonNegative(fields['strikes']), 30),
    errorStrikes: Math.min(finiteNonNegative(fields['errorStrikes']), 30),
    cause,
  };
}

function finiteNonNegative(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
