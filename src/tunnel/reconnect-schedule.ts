/**
 * When the connector dials again (PROTOCOL.md › Tunnel handshake): 1 s doubling to 30 s plus up to
 * 50 % jitter; the failure count resets once a tunnel has lived 60 s (sing-box `4d89d732`: without
 * the reset a flapping link stayed at 30–45 s forever); a refused authorization waits the slowest
 * rate.
 */
import { exponentialDelayMs } from '../lib/index.ts';

export interface ReconnectOptions {
  baseMs?: number;
  maxMs?: number;
  jitterRatio?: number;
  /** A tunnel that lived this long counts as healthy: the next outage starts from baseMs. */
  resetAfterMs?: number;
  random?: () => number;
}

export type ReconnectCause =
  { kind: 'dial_failed'; retryAfterMs?: number | undefined } | { kind: 'unauthorized' } | { kind: 'tunnel_lost'; livedMs: number };

export class ReconnectSchedule {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #jitterRatio: number;
  readonly #resetAfterMs: number;
  readonly #random: () => number;
  readonly #slowestAttempt: number;
  #failures = 0;

  constructor(options: ReconnectOptions = {}) {
    this.#baseMs = options.baseMs ?? 1_000;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#jitterRatio = options.jitterRatio ?? 0.5;
    this.#resetAfterMs = options.resetAfterMs ?? 60_000;
    this.#random = options.random ?? Math.random;
    this.#slowestAttempt = Math.ceil(Math.log2(this.#maxMs / this.#baseMs));
  }

  get failures(): number {
    return this.#failures;
  }

  /** Milliseconds to wait before the next dial. */
  delayAfter(cause: ReconnectCause): number {
    if (cause.kind === 'tunnel_lost' && cause.livedMs >= this.#resetAfterMs) this.#failures = 0;
    if (cause.kind === 'unauthorized') this.#failures = Math.max(this.#failures, this.#slowestAttempt);
    const delay = exponentialDelayMs(this.#failures, {
      baseMs: this.#baseMs,
      maxMs: this.#maxMs,
      jitterRatio: this.#jitterRatio,
      random: this.#random,
    });
    this.#failures += 1;
    const retryAfterMs = cause.kind === 'dial_failed' ? (cause.retryAfterMs ?? 0) : 0;
    return Math.max(delay, Math.min(retryAfterMs, this.#maxMs));
  }
}
