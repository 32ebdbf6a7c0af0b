/**
 * Counts requests whose response has not closed yet, so shutdown can drain them. The server's
 * own close() cannot tell: tunnel sockets (upgraded connections) keep it open until the
 * tunnels are closed, which must come after the drain.
 */
import { sleep } from '../lib/index.ts';

export class InFlight {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  track(response: { once(event: 'close', listener: () => void): unknown }): void {
    this.#count += 1;
    response.once('close', () => {
      this.#count -= 1;
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
}
