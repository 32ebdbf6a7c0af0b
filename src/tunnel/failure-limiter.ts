/**
 * Counts failed tunnel handshakes per source address in a fixed window; past `maxFailures` the
 * address is refused until its window ends, which makes guessing tokens online pointless.
 */
export interface FailureLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxAddresses?: number;
}

interface Entry {
  failures: number;
  windowEndsAt: number;
}

export class FailureLimiter {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: FailureLimiterOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Milliseconds until the address may try again, or 0 when it may now. */
  retryAfterMs(address: string, nowMs: number): number {
    const entry = this.#entries.get(address);
    if (entry === undefined) return 0;
    if (entry.windowEndsAt <= nowMs) {
      this.#entries.delete(address);
      return 0;
    }
    return entry.failures >= this.#maxFailures ? entry.windowEndsAt - nowMs : 0;
  }

  /** Counts one failure; true when this one used up the address's allowance (once per window). */
  recordFailure(address: string, nowMs: number): boolean {
    const entry = this.#entries.get(address);
    if (entry !== undefined && entry.windowEndsAt > nowMs) {
      entry.failures += 1;
      return entry.failures === this.#maxFailures;
    }
    if (this.#entries.size >= this.#maxAddresses) this.#prune(nowMs);
    this.#entries.set(address, { failures: 1, windowEndsAt: nowMs + this.#windowMs });
    return this.#maxFailures === 1;
  }

  #prune(nowMs: number): void {
    for (const [address, entry] of this.#entries) {
      if (entry.windowEndsAt <= nowMs) this.#entries.delete(address);
    }
    // Still full of live windows (a wide scan): forget the oldest rather than grow without bound.
    while (this.#entries.size >= this.#maxAddresses) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
