/**
 * Delivery to one alert receiver: a bounded queue sent in order, one POST at a time, each with
 * its own timeout and a bounded number of retries with exponential backoff. Nothing here is
 * awaited by a request: `enqueue()` returns at once, a full queue drops its oldest event (and
 * counts it), and a receiver that is down costs only its own timers.
 */
import type { Logger } from 'pino';
import { errorMessage, exponentialDelayMs } from '../../lib/index.ts';
import { SIGNATURE_HEADER, signAlertBody } from './alert-event.ts';

export interface DeliveryOptions {
  /** Events waiting at most (besides the one being sent); past it the oldest is dropped. */
  maxQueue: number;
  /** Attempts per event, the first included. */
  maxAttempts: number;
  /** Backoff before the second attempt, doubling up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** One attempt's bound, connect to the end of the answer. */
  timeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  maxQueue: 100,
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  timeoutMs: 10_000,
};

export interface DeliveryCounters {
  sent(): void;
  failed(): void;
  dropped(): void;
}

interface Pending {
  event: string;
  body: string;
}

export class AlertSender {
  readonly #url: string;
  readonly #secret: string | undefined;
  readonly #options: DeliveryOptions;
  readonly #counters: DeliveryCounters;
  readonly #logger: Logger;
  readonly #queue: Pending[] = [];
  readonly #stop = new AbortController();
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: { url: string; secret: string | undefined; options: DeliveryOptions; counters: DeliveryCounters; logger: Logger }) {
    this.#url = deps.url;
    this.#secret = deps.secret;
    this.#options = deps.options;
    this.#counters = deps.counters;
    this.#logger = deps.logger;
  }

  get queued(): number {
    return this.#queue.length;
  }

  enqueue(event: string, body: string): void {
    if (this.#stop.signal.aborted) return;
    if (this.#queue.length >= this.#options.maxQueue) {
      const dropped = this.#queue.shift();
      this.#counters.dropped();
      this.#logger.warn({ event: dropped?.event, queued: this.#queue.length }, 'alert queue full; dropped the oldest event');
    }
    this.#queue.push({ event, body });
    if (!this.#running) void this.#drain();
  }

  close(): void {
    this.#stop.abort();
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      // The event being sent is off the queue: maxQueue bounds the events waiting behind it.
      for (let next = this.#queue.shift(); next !== undefined && !this.#stop.signal.aborted; next = this.#queue.shift()) {
        await this.#deliver(next);
      }
    } finally {
      this.#running = false;
    }
  }

  async #deliver(pending: Pending): Promise<void> {
    for (let attempt = 0; attempt < this.#options.maxAttempts; attempt += 1) {
      if (attempt > 0)
        await this.#wait(
          exponentialDelayMs(attempt - 1, { baseMs: this.#options.baseDelayMs, maxMs: this.#options.maxDelayMs, jitterRatio: 0.2 }),
        );
      if (this.#stop.signal.aborted) return;
      const outcome = await this.#post(pending.body);
      if (outcome === 'ok') {
        this.#counters.sent();
        return;
      }
      if (outcome === 'permanent') break;
    }
    if (this.#stop.signal.aborted) return;
    this.#counters.failed();
    this.#logger.warn({ event: pending.event, attempts: this.#options.maxAttempts }, 'alert not delivered; gave up');
  }

  /** ok, retry (timeout, transport error, 408/429/5xx) or permanent (another 4xx: retrying would not help). */
  async #post(body: string): Promise<'ok' | 'retry' | 'permanent'> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'quotamesh-alerts' };
    if (this.#secret !== undefined) headers[SIGNATURE_HEADER] = signAlertBody(body, this.#secret);
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#options.timeoutMs)]);
    try {
      const response = await fetch(this.#url, { method: 'POST', headers, body, signal, redirect: 'manual' });
      // Whatever the receiver answers in its body is not ours to hold: discarded unread.
      await response.body?.cancel();
      if (response.ok) return 'ok';
      this.#logger.warn({ status: response.status }, 'alert receiver refused an event');
      return response.status === 408 || response.status === 429 || response.status >= 500 ? 'retry' : 'permanent';
    } catch (error) {
      // The URL is not logged: chat webhooks carry their secret in it.
      if (!this.#stop.signal.aborted) this.#logger.warn({ err: errorMessage(error) }, 'alert receiver unreachable');
      return 'retry';
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#stop.signal.removeEventListener('abort', done);
        resolve();
      };
      this.#timer = setTimeout(done, ms);
      this.#timer.unref();
      this.#stop.signal.addEventListener('abort', done, { once: true });
    });
  }
}
