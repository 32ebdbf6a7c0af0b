/**
 * Background usage polling for one credential (sing-box polls only when a request comes in, so an
 * idle credential's numbers went stale; this one has its own timer): poll whenever the data is
 * older than the interval, once soon after start, back off 1→2→4→5 min after failures, wait out the
 * endpoint's own 429s. Polls run on unref'd timers and never sit in a request's path.
 */
import type { Clock } from '../lib/index.ts';

export interface UsagePollTimings {
  /** Data older than this is stale and polled (default 60 min). */
  intervalMs: number;
  /** First poll after start or after the credential file appears (default 1 s). */
  initialDelayMs: number;
  /** Failure backoff: base doubling to max (default 1 min → 5 min). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Wait after a usage-endpoint 429 without Retry-After (default 1 min). */
  rateLimitedDelayMs: number;
}

export const DEFAULT_POLL_TIMINGS: UsagePollTimings = Object.freeze({
  intervalMs: 60 * 60 * 1000,
  initialDelayMs: 1000,
  backoffBaseMs: 60 * 1000,
  backoffMaxMs: 5 * 60 * 1000,
  rateLimitedDelayMs: 60 * 1000,
});

export type PollResult =
  | { kind: 'ok' }
  | { kind: 'failed' }
  /** The usage endpoint throttled us; not a failure. */
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  /** Nothing to poll with (no credential file), or the token may not read usage (setup token). */
  | { kind: 'skipped' };

export interface UsagePollerDeps {
  clock: Clock;
  run: () => Promise<PollResult>;
  /** When usage data last arrived, from any source: traffic headers postpone polls. */
  lastUpdatedMs: () => number;
  timings: UsagePollTimings;
}

/** setTimeout's limit; longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class UsagePoller {
  /** Every failed poll since start, for /metrics. */
  failuresTotal = 0;
  readonly #deps: UsagePollerDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<PollResult> | undefined;
  /** Set after a failure or a 429: poll at this time whatever the data's age. */
  #retryAtMs: number | undefined;
  #failures = 0;
  #closed = false;

  constructor(deps: UsagePollerDeps) {
    this.#deps = deps;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Polls soon: at start, and whenever the credential file (re)appears. */
  kick(): void {
    this.#retryAtMs = this.#deps.clock.now() + this.#deps.timings.initialDelayMs;
    this.#schedule();
  }

  /** One poll now unless one is running (then its result is awaited instead); `skipped` once closed. */
  pollNow(): Promise<PollResult> {
    if (this.#closed) return Promise.resolve({ kind: 'skipped' });
    this.#running ??= this.#runOnce().finally(() => {
      this.#running = undefined;
      this.#schedule();
    });
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #runOnce(): Promise<PollResult> {
    const { timings, clock } = this.#deps;
    const result = await this.#deps.run().catch((): PollResult => ({ kind: 'failed' }));
    const nowMs = clock.now();
    switch (result.kind) {
      case 'ok':
        this.#failures = 0;
        this.#retryAtMs = undefined;
        break;
      case 'failed':
        this.#failures += 1;
        this.failuresTotal += 1;
        this.#retryAtMs = nowMs + Math.min(timings.backoffBaseMs * 2 ** Math.min(this.#failures - 1, 30), timings.backoffMaxMs);
        break;
      case 'rate_limited':
        this.#retryAtMs = nowMs + (result.retryAfterMs ?? timings.rateLimitedDelayMs);
        break;
      case 'skipped':
        // Nothing learned: look again after a full interval, or sooner if kicked.
        this.#retryAtMs = nowMs + timings.intervalMs;
        break;
    }
    return result;
  }

  #dueMs(): number {
    return this.#retryAtMs ?? this.#deps.lastUpdatedMs() + this.#deps.timings.intervalMs;
  }

  #schedule(): void {
    if (this.#closed || this.#running !== undefined) return;
    clearTimeout(this.#timer);
    const delay = Math.min(Math.max(0, this.#dueMs() - this.#deps.clock.now()), MAX_TIMER_MS);
    this.#timer = setTimeout(() => this.#onTimer(), delay);
    this.#timer.unref();
  }

  #onTimer(): void {
    // Traffic may have brought fresh headers since this timer was set: then wait longer.
    if (this.#deps.clock.now() < this.#dueMs()) return this.#schedule();
    void this.pollNow();
  }
}
