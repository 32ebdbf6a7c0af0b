/**
 * Counts requests whose response has not closed yet, so shutdown can drain them. The server's
 * own close() cannot tell: tunnel sockets (upgraded connections) keep it open until the
 * tunnels are closed, which must come after the drain.
 */
import { sleep } from '../lib/index.ts';

export class InFlight {
  #count = 0;
  /** One promise per open response, settled when it closes. */
  readonly #open = new Set<Promise<void>>();

  get count(): number {
    return this.#count;
  }

  track(response: { once(event: 'close', listener: () => void): unknown }): void {
    this.#count += 1;
    let settle!: () => void;
    const closed = new Promise<void>((resolve) => (settle = resolve));
    this.#open.add(closed);
    response.once('close', () => {
      this.#count -= 1;
      this.#open.delete(closed);
      settle();
    });
  }

  /** Resolves true when nothing is in flight, false when `timeoutMs` passed first. */
  async drained(timeoutMs: number, pollMs = 20): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#count > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(pollMs);
    }
    return true;
  }

  /**
   * Resolves true once every request in flight now has ended (requests that start later do not
   * count), false when `timeoutMs` passed first. A reload lets go of a removed credential then:
   * new requests can no longer pick it, and the ones it serves must not lose their connection.
   */
  async settled(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([Promise.all([...this.#open]).then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
