/**
 * The node's alerts (CONFIG.md › alerts, PROTOCOL.md › Alerts): events from the credential
 * pools, the tunnels and the admission stage, fanned out to every receiver that wants them.
 * Everything is fire-and-forget for the caller: an event is queued per receiver and sent later.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/index.ts';
import type { ProviderPool } from '../../pool/index.ts';
import type { CredentialState } from '../../status/index.ts';
import type { AlertConfig } from '../config-schema.ts';
import { ALERT_EVENTS, type AlertEvent } from './alert-event.ts';
import { AlertReceiver } from './alert-receiver.ts';
import { AlertSender, DEFAULT_DELIVERY, type DeliveryCounters, type DeliveryOptions } from './alert-sender.ts';
import { credentialTransitions, credentialViews } from './credential-alerts.ts';

/** A user or peer at the same limit is reported again only after this long. */
export const LIMIT_REPEAT_MS = 10 * 60_000;
/** Distinct (caller, limit) pairs remembered for that; past it, the old ones are forgotten. */
const MAX_LIMIT_KEYS = 4096;

export interface LimitReached {
  kind: 'user' | 'peer';
  name: string;
  /** The config key of the limit, e.g. `request_budget.per_caller_concurrent`. */
  limit: string;
  provider?: string;
  detail: string;
}

export interface AlertsDeps {
  alerts: readonly AlertConfig[];
  nodeName: string;
  clock: Clock;
  logger: Logger;
  /** Metrics per receiver index: sent, failed after every retry, dropped from a full queue. */
  counters: (index: number) => DeliveryCounters;
  delivery?: Partial<DeliveryOptions>;
}

export class Alerts {
  readonly #receivers: AlertReceiver[];
  readonly #clock: Clock;
  readonly #credentialStates = new Map<string, CredentialState>();
  readonly #limitsSeen = new Map<string, number>();
  readonly #unsubscribes: Array<() => void> = [];
  #closed = false;

  constructor(deps: AlertsDeps) {
    this.#clock = deps.clock;
    const delivery = { ...DEFAULT_DELIVERY, ...deps.delivery };
    this.#receivers = deps.alerts.map((alert, index) => {
      const sender = new AlertSender({
        url: alert.url,
        secret: alert.secret,
        options: delivery,
        counters: deps.counters(index),
        logger: deps.logger.child({ component: 'alerts', alert: index, host: new URL(alert.url).host }),
      });
      return new AlertReceiver({
        events: alert.events ?? ALERT_EVENTS,
        peerDownGraceMs: alert.peer_down_grace_ms,
        sender,
        clock: deps.clock,
        nodeName: deps.nodeName,
      });
    });
  }

  get isEnabled(): boolean {
    return this.#receivers.length > 0;
  }

  emit(event: AlertEvent): void {
    if (this.#closed) return;
    for (const receiver of this.#receivers) receiver.send(event);
  }

  /** Follows a pool's credentials; their state as of now is the baseline (non-usable ones are reported). */
  watchPool(pool: ProviderPool): () => void {
    if (!this.isEnabled) return () => {};
    const check = (): void => {
      const nowMs = this.#clock.now();
      for (const event of credentialTransitions(this.#credentialStates, credentialViews(pool, nowMs), nowMs)) this.emit(event);
    };
    const unsubscribe = pool.onChange(check);
    this.#unsubscribes.push(unsubscribe);
    check();
    return unsubscribe;
  }

  tunnel(peer: string, isUp: boolean): void {
    if (this.#closed) return;
    for (const receiver of this.#receivers) receiver.tunnel(peer, isUp);
  }

  /**
   * A user or peer refused for a limit (the request budget today; per-user limits call this
   * too). Once per caller and limit per LIMIT_REPEAT_MS: a client retrying in a loop must not
   * become a flood of alerts.
   */
  limitReached(limit: LimitReached): void {
    if (this.#closed || !this.isEnabled) return;
    const nowMs = this.#clock.now();
    const key = `${limit.kind}\u0000${limit.name}\u0000${limit.limit}`;
    const lastMs = this.#limitsSeen.get(key);
    if (lastMs !== undefined && nowMs - lastMs < LIMIT_REPEAT_MS) return;
    if (this.#limitsSeen.size >= MAX_LIMIT_KEYS) this.#forgetOldLimits(nowMs);
    this.#limitsSeen.set(key, nowMs);
    const subject =
      limit.kind === 'peer'
        ? { peer: limit.name }
        : { user: limit.name, ...(limit.provider === undefined ? {} : { provider: limit.provider }) };
    this.emit({ event: 'limit_reached', timeMs: nowMs, detail: `${limit.limit}: ${limit.detail}`, ...subject });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    for (const receiver of this.#receivers) receiver.close();
  }

  #forgetOldLimits(nowMs: number): void {
    for (const [key, seenMs] of this.#limitsSeen) if (nowMs - seenMs >= LIMIT_REPEAT_MS) this.#limitsSeen.delete(key);
    // Still full of recent ones: forget the oldest half rather than grow without bound.
    if (this.#limitsSeen.size >= MAX_LIMIT_KEYS)
      [...this.#limitsSeen.keys()].slice(0, MAX_LIMIT_KEYS / 2).forEach((key) => this.#limitsSeen.delete(key));
  }
}
