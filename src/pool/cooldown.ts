/**
 * Cooldown after a 429, as pure math. A 429 with a reset benches until that reset (clamped: a
 * reset hint weeks away is a bug, REFERENCE §8 and the peers' "18-day Retry-After" complaint); a
 * 429 without one backs off 1 s doubling to 30 min, so one odd 429 never benches an account for
 * a whole window (UPSTREAM-FACTS §4.11.1).
 */
export interface Cooldown {
  /** Epoch ms until which the credential is benched; 0 = not benched. */
  untilMs: number;
  /** Consecutive header-less 429s, for the exponential backoff. */
  strikes: number;
}

export const NO_COOLDOWN: Cooldown = { untilMs: 0, strikes: 0 };

const HEADERLESS_BASE_MS = 1000;
const HEADERLESS_MAX_MS = 30 * 60 * 1000;
const LONGEST_RESET_MS = 8 * 24 * 3600 * 1000;

export function cooldownAfterRateLimit(previous: Cooldown, hint: { resetAtMs?: number; retryAfterMs?: number }, nowMs: number): Cooldown {
  const explicitUntil = hint.resetAtMs ?? (hint.retryAfterMs !== undefined ? nowMs + hint.retryAfterMs : undefined);
  if (explicitUntil !== undefined && explicitUntil > nowMs) {
    return { untilMs: Math.min(explicitUntil, nowMs + LONGEST_RESET_MS), strikes: 0 };
  }
  const delay = Math.min(HEADERLESS_BASE_MS * 2 ** Math.min(previous.strikes, 30), HEADERLESS_MAX_MS);
  return { untilMs: nowMs + delay, strikes: previous.strikes + 1 };
}

export function isCoolingDown(cooldown: Cooldown, nowMs: number): boolean {
  return cooldown.untilMs > nowMs;
}
