/**
 * "Have we logged this already?" for keys a stranger chooses (unknown paths): each key is
 * reported once, and the set holds at most `capacity` keys, forgetting the oldest first, so a
 * client sending endless distinct paths costs bounded memory (and, once forgotten, a key may be
 * reported again: that is the price of the bound).
 */
export class OnceSet {
  readonly #seen = new Set<string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** True the first time `key` is seen (since it was last forgotten). */
  firstTime(key: string): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#capacity) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.add(key);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}
