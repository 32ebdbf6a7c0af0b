/** Exponential backoff: base·2^attempt capped at maxMs, plus up to jitterRatio·delay of jitter. */
export function exponentialDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number; jitterRatio?: number; random?: () => number },
): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const delay = Math.min(options.baseMs * 2 ** exponent, options.maxMs);
  const jitter = (options.jitterRatio ?? 0) * delay * (options.random ?? Math.random)();
  return Math.round(delay + jitter);
}
