/**
 * `requests_per_minute` as a rolling window (issue 15), pure: the times of the caller's admitted
 * requests go in with `now`, the decision comes out. A request counts until 60 s after it was
 * admitted, so the refusal can name the real moment a slot frees, not the next minute boundary.
 */

export const RATE_WINDOW_MS = 60_000;

export type RateDecision = { isAllowed: true } | { isAllowed: false; retryAtMs: number };

/** May one more request be admitted at `nowMs`, given the times (ms) of those admitted before? */
export function rateDecision(admittedMs: readonly number[], limit: number, nowMs: number, windowMs = RATE_WINDOW_MS): RateDecision {
  const inWindow = admittedMs.filter((atMs) => atMs > nowMs - windowMs).sort((a, b) => a - b);
  if (inWindow.length < limit) return { isAllowed: true };
  // One more fits once all but limit − 1 of them have aged out: the (count − limit + 1)-th oldest.
  const freeing = inWindow[inWindow.length - limit] ?? nowMs;
  return { isAllowed: false, retryAtMs: freeing + windowMs };
}

/**
 * The times worth keeping after admitting one at `nowMs`: those still in the window, and at most
 * `limit` of them (older ones can never decide again), so memory per caller is bounded by its limit.
 */
export function afterAdmitting(admittedMs: readonly number[], limit: number, nowMs: number, windowMs = RATE_WINDOW_MS): number[] {
  const kept = admittedMs.filter((atMs) => atMs > nowMs - windowMs);
  kept.push(nowMs);
  kept.sort((a, b) => a - b);
  return kept.slice(-limit);
}
