/**
 * Counted slots per key (a caller, a credential) with one bounded FIFO of waiters. A waiter may
 * wait for any of several keys (a request can use any credential of its route) and is handed a
 * slot directly when one frees, so a newcomer cannot take it first. A wait always ends: with a
 * slot, or refused when the queue is full, the timeout passes or the waiter goes away. Without
 * this, request 257 on one account sat in http.Agent's hidden queue with no answer (issue 15).
 */

export type SlotRefusal = 'full' | 'timeout' | 'aborted';

export interface KeyedSlotsOptions<K> {
  /** How many slots `key` has now; Infinity for no cap. Read on every take, so a cap may change. */
  capOf(key: K): number;
  /** The most requests waiting at once; one more is refused at once with `full`. */
  maxWaiting: number;
}

interface Waiter<K> {
  keys: ReadonlySet<K>;
  resolve(outcome: K | SlotRefusal): void;
}

export class KeyedSlots<K> {
  readonly #options: KeyedSlotsOptions<K>;
  readonly #inFlight = new Map<K, number>();
  readonly #waiters: Array<Waiter<K>> = [];

  constructor(options: KeyedSlotsOptions<K>) {
    this.#options = options;
  }

  inFlight(key: K): number {
    return this.#inFlight.get(key) ?? 0;
  }

  isAtCap(key: K): boolean {
    return this.inFlight(key) >= this.#options.capOf(key);
  }

  /** Takes a slot of `key` when one is free; false, and nothing taken, when at its cap. */
  tryTake(key: K): boolean {
    if (this.isAtCap(key)) return false;
    this.#inFlight.set(key, this.inFlight(key) + 1);
    return true;
  }

  /**
   * Resolves with the key whose slot is now held, taken at once when one of `keys` is free, else
   * after waiting in line; or with why not.
   */
  wait(keys: readonly K[], options: { signal: AbortSignal; timeoutMs: number }): Promise<K | SlotRefusal> {
    const free = keys.find((key) => this.tryTake(key));
    if (free !== undefined) return Promise.resolve(free);
    if (options.signal.aborted) return Promise.resolve('aborted');
    if (this.#waiters.length >= this.#options.maxWaiting || keys.length === 0) return Promise.resolve('full');
    return new Promise((resolve) => {
      const waiter: Waiter<K> = {
        keys: new Set(keys),
        resolve: (outcome) => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      const leave = (refusal: SlotRefusal): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index === -1) return;
        this.#waiters.splice(index, 1);
        waiter.resolve(refusal);
      };
      const onAbort = (): void => leave('aborted');
      const timer = setTimeout(() => leave('timeout'), Math.max(0, options.timeoutMs));
      options.signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives a slot back; the oldest waiter that can use it gets it. */
  release(key: K): void {
    const count = this.inFlight(key) - 1;
    if (count <= 0) this.#inFlight.delete(key);
    else this.#inFlight.set(key, count);
    this.#handOff(key);
  }

  /** Requests waiting now, for all keys or those waiting for `key`. */
  waiting(key?: K): number {
    return key === undefined ? this.#waiters.length : this.#waiters.filter((waiter) => waiter.keys.has(key)).length;
  }

  /** Keys with slots taken now, and how many. */
  holders(): Array<[K, number]> {
    return [...this.#inFlight.entries()];
  }

  #handOff(key: K): void {
    while (!this.isAtCap(key)) {
      const index = this.#waiters.findIndex((waiter) => waiter.keys.has(key));
      if (index === -1) return;
      const [waiter] = this.#waiters.splice(index, 1);
      this.#inFlight.set(key, this.inFlight(key) + 1);
      waiter?.resolve(key);
    }
  }
}
