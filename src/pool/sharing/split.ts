/**
 * Splitting one attributed amount among requests in proportion to their tokens, in whole
 * nano-points so the parts always add up to exactly the whole (largest remainder, as seats are
 * apportioned): no share is lost or invented by floating-point rounding, however many callers.
 */

/** Attributed amounts are kept as integers of this unit (1 point = 1e9 nano-points). */
export const NANO_PER_POINT = 1_000_000_000;

export interface Share<Key> {
  key: Key;
  tokens: number;
}

/**
 * `totalNano` (an integer ≥ 0) split over `shares` by tokens. When no share has tokens (every
 * request answered without a usage block) the split is even: somebody's requests caused the rise.
 */
export function splitByTokens<Key>(totalNano: number, shares: ReadonlyArray<Share<Key>>): Array<{ key: Key; nano: number }> {
  if (shares.length === 0) return [];
  const total = Math.max(0, Math.round(totalNano));
  const weights = shares.map((share) => (Number.isFinite(share.tokens) && share.tokens > 0 ? share.tokens : 0));
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const even = weightSum === 0 || !Number.isFinite(weightSum);
  const exact = shares.map((_, index) => (even ? total / shares.length : (total * (weights[index] ?? 0)) / weightSum));
  const parts = exact.map((value) => Math.floor(value));
  let left = total - parts.reduce((sum, part) => sum + part, 0);
  // Hand the leftover units to the largest remainders; ties to the earlier share.
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) })).sort((a, b) => b.remainder - a.remainder);
  for (const { index } of order) {
    if (left <= 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    left -= 1;
  }
  return shares.map((share, index) => ({ key: share.key, nano: parts[index] ?? 0 }));
}
