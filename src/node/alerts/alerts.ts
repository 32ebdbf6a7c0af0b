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
  readonly #deps: AlertsDeps;
  /** One per configured receiver, in config order, with the entry it was made from. */
  #receivers: Array<{ config: string; receiver: AlertReceiver }> = [];
  readonly #clock: Clock;
  readonly #credentialStates = new Map<string, CredentialState>();
  readonly #limitsSeen = new Map<string, number>();
  /** The pools followed, each with its check, so receivers added by a reload get a baseline. */
  readonly #checks = new Set<() => void>();
  readonly #unsubscribes: Array<() => void> = [];
  #closed = false;

  constructor(deps: AlertsDeps) {
    this.#deps = deps;
    this.#clock = deps.clock;
    this.reconfigure(deps.alerts);
  }

  /**
   * The receivers of `alerts` from now on (a config reload, CONFIG.md › Reloading). An entry
   * unchanged at the same place keeps its receiver, with its queue and its peer-down timers; a
   * removed or changed one is closed (what it had queued is dropped); a new one starts. When
   * receivers appear where there were none, the credentials' states as of now are the baseline,
   * as at start-up: the ones not usable are reported.
   */
  reconfigure(alerts: readonly AlertConfig[]): void {
    if (this.#closed) return;
    const wasEnabled = this.isEnabled;
    const delivery = { ...DEFAULT_DELIVERY, ...this.#deps.delivery };
    const previous = this.#receivers;
    this.#receivers = alerts.map((alert, index) => {
      const config = JSON.stringify(alert);
      const kept = previous[index];
      if (kept !== undefined && kept.config === config) return kept;
      const sender = new AlertSender({
        url: alert.url,
        secret: alert.secret,
        options: delivery,
        counters: this.#deps.counters(index),
        logger: this.#deps.logger.child({ component: 'alerts', alert: index, host: new URL(alert.url).host }),
      });
      const receiver = new AlertReceiver({
        events: alert.events ?? ALERT_EVENTS,
        peerDownGraceMs: alert.peer_down_grace_ms,
        sender,
        clock: this.#clock,
        nodeName: this.#deps.nodeName,
      });
      return { config, receiver };
    });
    const current = new Set(this.#receivers);
    for (const entry of previous) if (!current.has(entry)) entry.receiver.close();
    if (!wasEnabled && this.isEnabled) {
      this.#credentialStates.clear();
      for (const check of this.#checks) check();
    }
  }

  get isEnabled(): boolean {
    return this.#receivers.length > 0;
  }

  emit(event: AlertEvent): void {
    if (this.#closed) return;
    for (const { receiver } of this.#receivers) receiver.send(event);
  }

  /**
   * Follows a pool's credentials; their state as of now is the baseline (non-usable ones are
   * reported). Followed with no receiver too, at no cost, so a reload can add one.
   */
  watchPool(pool: ProviderPool): () => void {
    const check = (): void => {
      if (!this.isEnabled) return;
      const nowMs = this.#clock.now();
      for (const event of credentialTransitions(this.#credentialStates, credentialViews(pool, nowMs), nowMs)) this.emit(event);
    };
    const unsubscribePool = pool.onChange(check);
    this.#checks.add(check);
    const unsubscribe = (): void => {
      unsubscribePool();
      this.#checks.delete(check);
    };
    this.#unsubscribes.push(unsubscribe);
    check();
    return unsubscribe;
  }

  tunnel(peer: string, isUp: boolean): void {
    if (this.#closed) return;
    for (const { receiver } of this.#receivers) receiver.tunnel(peer, isUp);
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
    for (const { receiver } of this.#receivers) receiver.close();
  }

  #forgetOldLimits(nowMs: number): void {
    for (const [key, seenMs] of this.#limitsSeen) if (nowMs - seenMs >= LIMIT_REPEAT_MS) this.#limitsSeen.delete(key);
    // Still full of recent ones: forget the oldest half rather than grow without bound.
    if (this.#limitsSeen.size >= MAX_LIMIT_KEYS)
      [...this.#limitsSeen.keys()].slice(0, MAX_LIMIT_KEYS / 2).forEach((key) => this.#limitsSeen.delete(key));
  }
}
