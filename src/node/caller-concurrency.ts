/**
 * A caller's `limits` (CONFIG.md › limits), enforced before any credential is picked:
 * `requests_per_minute` over a rolling minute (rate-window.ts) and `concurrent` requests in
 * flight, with the ones over it waiting in a bounded line for one of the caller's own to finish.
 * Every refusal is a 429 naming the limit; a wait ends with a slot, a refusal, or the client gone.
 * A caller is one user or one peer (through its tunnel or with its token): the same key either way.
 */
import { KeyedSlots, QuotaMeshError, toUnixSeconds } from '../lib/index.ts';
import type { Caller } from './auth.ts';
import type { LimitsConfig } from './config-schema.ts';
import { afterAdmitting, rateDecision } from './rate-window.ts';

export type SlotRelease = () => void;

export class CallerConcurrency {
  readonly #caps = new Map<string, number>();
  readonly #slots: KeyedSlots<string>;
  readonly #admittedMs = new Map<string, number[]>();
  readonly #onRefusal: (caller: string, limit: 'concurrent' | 'requests_per_minute') => void;

  /** `maxWaiting`: requests waiting at once, all callers together. `onRefusal` feeds /metrics. */
  constructor(options: { maxWaiting: number; onRefusal?: (caller: string, limit: 'concurrent' | 'requests_per_minute') => void }) {
    this.#onRefusal = options.onRefusal ?? (() => {});
    this.#slots = new KeyedSlots<string>({ capOf: (key) => this.#caps.get(key) ?? Infinity, maxWaiting: options.maxWaiting });
  }

  /** Counts one request against `requests_per_minute`; the refusal when it is over. */
  admitRate(caller: Caller, nowMs: number): QuotaMeshError | undefined {
    const limit = limitsOf(caller)?.requests_per_minute;
    if (limit === undefined) return undefined;
    const key = keyOf(caller);
    const admitted = this.#admittedMs.get(key) ?? [];
    const decision = rateDecision(admitted, limit, nowMs);
    if (!decision.isAllowed) {
      this.#onRefusal(key, 'requests_per_minute');
      const retryAfterSeconds = Math.max(1, Math.ceil((decision.retryAtMs - nowMs) / 1000));
      return new QuotaMeshError(
        'requests_per_minute_exceeded',
        429,
        'rate_limit_error',
        `${describe(caller)} made ${limit} requests in the last minute, its limit (limits.requests_per_minute: ${limit}); retry in ${retryAfterSeconds}s`,
        { retryAfterSeconds, retryAt: toUnixSeconds(nowMs) + retryAfterSeconds },
      );
    }
    this.#admittedMs.set(key, afterAdmitting(admitted, limit, nowMs));
    return undefined;
  }

  /**
   * A slot under `concurrent`, waiting up to `queue_timeout_ms` when the caller has none free.
   * Resolves with the release, a 429, or 'aborted' when `signal` fires first (the client left).
   */
  async enter(caller: Caller, signal: AbortSignal): Promise<SlotRelease | QuotaMeshError | 'aborted'> {
    const limits = limitsOf(caller);
    const cap = limits?.concurrent;
    if (limits === undefined || cap === undefined) return noRelease;
    const key = keyOf(caller);
    this.#caps.set(key, cap);
    const outcome = await this.#slots.wait([key], { signal, timeoutMs: limits.queue_timeout_ms });
    if (outcome === 'aborted') return 'aborted';
    if (outcome === 'full' || outcome === 'timeout') {
      this.#onRefusal(key, 'concurrent');
      const waited =
        outcome === 'timeout'
          ? `waited ${formatSeconds(limits.queue_timeout_ms)} for one to finish`
          : 'the line of waiting requests is full';
      return new QuotaMeshError(
        'concurrent_limit_exceeded',
        429,
        'rate_limit_error',
        `${describe(caller)} has ${cap} requests in flight, its limit (limits.concurrent: ${cap}), and this one ${waited}; retry when one finishes`,
        { retryAfterSeconds: 1 },
      );
    }
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.#slots.release(key);
    };
  }

  /** Per caller with a `concurrent` limit: requests in flight and waiting (for /metrics). */
  stats(): Array<{ caller: string; inFlight: number; waiting: number }> {
    return [...this.#caps.keys()].map((caller) => ({
      caller,
      inFlight: this.#slots.inFlight(caller),
      waiting: this.#slots.waiting(caller),
    }));
  }
}

function noRelease(): void {}

function limitsOf(caller: Caller): LimitsConfig | undefined {
  if (caller.kind === 'user') return caller.user.limits;
  if (caller.kind === 'peer') return caller.peer.limits;
  return undefined;
}

/** `user:alice`, `peer:laptop`: one key per caller whichever way it arrives. */
export function keyOf(caller: Caller): string {
  return `${caller.kind}:${caller.name}`;
}

function describe(caller: Caller): string {
  return `${caller.kind} ${caller.name}`;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
