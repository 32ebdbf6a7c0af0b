/**
 * Remembers nonces of accepted handshakes for the replay window. Only verified handshakes are
 * recorded, so an attacker without a token cannot fill it; the size cap is a last resort.
 */
export class NonceCache {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  /** Insertion order is expiry order: every entry lives exactly windowMs. */
  readonly #expiries = new Map<string, number>();

  constructor(options: { windowMs?: number; maxEntries?: number } = {}) {
    this.#windowMs = options.windowMs ?? 10 * 60_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** True the first time a nonce is seen within the window; false for a replay. */
  remember(nonce: string, nowMs: number): boolean {
    this.#prune(nowMs);
    if (this.#expiries.has(nonce)) return false;
    if (this.#expiries.size >= this.#maxEntries) {
      const oldest = this.#expiries.keys().next().value;
      if (oldest !== undefined) this.#expiries.delete(oldest);
    }
    this.#expiries.set(nonce, nowMs + this.#windowMs);
    return true;
  }

  get size(): number {
    return this.#expiries.size;
  }

  #prune(nowMs: number): void {
    for (const [nonce, expiresAt] of this.#expiries) {
      if (expiresAt > nowMs) return;
      this.#expiries.delete(nonce);
    }
  }
}
