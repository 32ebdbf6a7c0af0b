/**
 * Capacity of another node (PROTOCOL.md › Node-to-node requests): requests go to the peer through its tunnel or over
 * HTTPS; what it has left comes from its status stream and from the aggregate headers on every
 * response. Its weight is the peer's plan_weight, held to the peer's max_plan_weight (a peer
 * claiming 1 000 000 at 0 % drew every request of a local user), its caps 100 (the peer applies
 * its own).
 */
import type { Logger } from 'pino';
import { toUnixSeconds, type Clock } from '../lib/index.ts';
import type { CredentialSnapshot, CredentialState, Provider, WindowUsage } from '../status/index.ts';
import { effectiveWindow } from '../status/index.ts';
import { ChangeSignal } from './change-signal.ts';
import { cooldownAfterError, cooldownAfterRateLimit, cooldownAfterSuccess, isCoolingDown, NO_COOLDOWN, type Cooldown } from './cooldown.ts';
import { CredentialUnavailableError, type Credential, type UpstreamOutcome, type UpstreamTarget } from './credential.ts';
import { ModelBlocks } from './model-blocks.ts';
import type { PeerLink } from './peer-link.ts';
import { PeerStatusStream, type PeerStatusFrame } from './peer-status-stream.ts';

/** What a provider's response headers say about the peer's aggregate. */
export interface PeerHeaderReading {
  fiveHour?: WindowUsage;
  weekly?: WindowUsage;
  planWeight?: number;
  retryAfterSeconds?: number;
}

export interface ExternalCredentialOptions {
  tag: string;
  provider: Provider;
  link: PeerLink;
  clock: Clock;
  logger: Logger;
  parseHeaders(headers: UpstreamOutcome['headers'], nowSeconds: number): PeerHeaderReading | undefined;
  /** The most plan weight this peer may claim (`peers[].max_plan_weight`); more is held to it. */
  maxPlanWeight: number;
  /** Requests in flight to this peer at once (the tunnel's stream bound); undefined for no cap. */
  maxConcurrent?: number;
  random?: () => number;
}

const EMPTY: WindowUsage = { utilization: 0, resetAt: 0 };

export class ExternalCredential implements Credential {
  readonly tag: string;
  readonly type = 'external' as const;
  readonly provider: Provider;
  readonly peerName: string;
  readonly maxConcurrent: number | undefined;
  readonly #options: ExternalCredentialOptions;
  readonly #changes = new ChangeSignal();
  readonly #stream: PeerStatusStream;
  readonly #unsubscribeLink: () => void;
  #fiveHour: WindowUsage = EMPTY;
  #weekly: WindowUsage = EMPTY;
  #planWeight = 0;
  #peerState: CredentialState = 'usable';
  #peerRetryAt = 0;
  #hasData = false;
  #problem: string | undefined;
  #cooldown: Cooldown = NO_COOLDOWN;
  /** Models the peer's whole pool refused (it relays a model-scoped refusal only then). */
  readonly #modelBlocks = new ModelBlocks();
  #lastKey = '';

  constructor(options: ExternalCredentialOptions) {
    this.tag = options.tag;
    this.provider = options.provider;
    this.peerName = options.link.peerName;
    this.maxConcurrent = options.maxConcurrent;
    this.#options = options;
    this.#stream = new PeerStatusStream({
      link: options.link,
      provider: options.provider,
      clock: options.clock,
      random: options.random,
      onFrame: (frame) => this.#applyFrame(frame),
      onProblem: (problem) => {
        if (problem !== undefined && problem !== this.#problem)
          options.logger.warn({ peer: this.peerName, problem }, 'peer status stream stopped');
        this.#problem = problem;
        this.#emitIfChanged();
      },
    });
    this.#unsubscribeLink = options.link.onChange(() => this.#emitIfChanged());
  }

  start(): void {
    this.#stream.start();
  }

  #applyFrame(frame: PeerStatusFrame): void {
    this.#planWeight = this.#boundedWeight(frame.planWeight);
    this.#peerState = frame.state;
    this.#peerRetryAt = frame.retryAt;
    // No weight: the peer knows nothing of its capacity yet (its accounts not polled, or not
    // pollable, as with setup tokens), and its 100 % is the aggregate's "no data" placeholder,
    // not a full pool. Read as such it refused every request while the peer's own accounts could
    // serve (a 503 "weekly usage at its cap" right after a laptop linked). So: no data, usable
    // while the peer says usable, counted in no aggregate, and chosen last by least-used (its
    // weight scores nothing).
    this.#hasData = this.#planWeight > 0;
    this.#fiveHour = this.#hasData ? { utilization: frame.fiveHourUtilization, resetAt: frame.fiveHourReset } : EMPTY;
    this.#weekly = this.#hasData ? { utilization: frame.weeklyUtilization, resetAt: frame.weeklyReset } : EMPTY;
    this.#emitIfChanged();
  }

  /** Non-finite or negative claims are no capacity; anything above the configured bound is the bound. */
  #boundedWeight(claimed: number): number {
    if (!Number.isFinite(claimed) || claimed <= 0) return 0;
    return Math.min(claimed, this.#options.maxPlanWeight);
  }

  #state(nowMs: number): { state: CredentialState; retryAt: number } {
    if (this.#options.link.route() === undefined) return { state: 'unavailable', retryAt: 0 };
    if (isCoolingDown(this.#cooldown, nowMs)) {
      // After a transport error or 5xx the peer is unreachable for a moment; only its 429s are rate limits.
      const state = this.#cooldown.cause === 'upstream_error' ? 'unavailable' : 'rate_limited';
      return { state, retryAt: Math.ceil(this.#cooldown.untilMs / 1000) };
    }
    if (this.#peerState !== 'usable') return { state: this.#peerState, retryAt: this.#peerRetryAt };
    return { state: 'usable', retryAt: 0 };
  }

  isUsable(nowMs: number): boolean {
    if (this.#state(nowMs).state !== 'usable') return false;
    const nowSeconds = toUnixSeconds(nowMs);
    return effectiveWindow(this.#fiveHour, nowSeconds).utilization < 100 && effectiveWindow(this.#weekly, nowSeconds).utilization < 100;
  }

  snapshot(nowMs: number): CredentialSnapshot {
    const { state, retryAt } = this.#state(nowMs);
    return {
      tag: this.tag,
      type: 'external',
      state,
      retryAt,
      hasData: this.#hasData,
      fiveHour: this.#fiveHour,
      weekly: this.#weekly,
      planWeight: this.#planWeight,
      cap5h: 100,
      capWeekly: 100,
      peer: this.peerName,
      modelLimits: this.#modelBlocks.list(nowMs),
    };
  }

  isModelBlocked(model: string, nowMs: number): boolean {
    return this.#modelBlocks.isBlocked(modelKey(model), nowMs);
  }

  reason(nowMs: number): string | undefined {
    if (this.#options.link.route() === undefined) return `peer ${this.peerName} has no live tunnel`;
    if (this.#problem !== undefined && !this.#hasData) return this.#problem;
    return this.isUsable(nowMs) ? this.#modelBlocks.reason(nowMs) : `peer ${this.peerName} reports ${this.#state(nowMs).state}`;
  }

  async target(): Promise<UpstreamTarget> {
    const route = this.#options.link.route();
    if (route === undefined) throw new CredentialUnavailableError(this.tag, `peer ${this.peerName} has no live tunnel`);
    return { baseUrl: route.baseUrl, headers: route.headers, agent: route.agent };
  }

  observe(outcome: UpstreamOutcome, nowMs: number): void {
    const reading = this.#options.parseHeaders(outcome.headers, toUnixSeconds(nowMs));
    if (reading?.fiveHour) this.#fiveHour = reading.fiveHour;
    if (reading?.weekly) this.#weekly = reading.weekly;
    if (reading?.planWeight !== undefined) this.#planWeight = this.#boundedWeight(reading.planWeight);
    if (reading?.fiveHour || reading?.weekly) this.#hasData = true;
    const scope = outcome.scope ?? 'account';
    if (scope === 'model' && outcome.model !== undefined) {
      const retryAfterMs = reading?.retryAfterSeconds !== undefined ? reading.retryAfterSeconds * 1000 : undefined;
      this.#modelBlocks.block(modelKey(outcome.model), { retryAfterMs }, nowMs);
    }
    if (scope === 'request' || scope === 'model') {
      // The peer relayed a refusal about this request or one model: its capacity is unchanged.
    } else if (scope === 'disabled') {
      this.#cooldown = cooldownAfterError(this.#cooldown, nowMs);
    } else if (outcome.status === 429) {
      const retryAfterMs = reading?.retryAfterSeconds !== undefined ? reading.retryAfterSeconds * 1000 : undefined;
      this.#cooldown = cooldownAfterRateLimit(this.#cooldown, { retryAfterMs }, nowMs);
    } else if (outcome.status === 0 || outcome.status >= 500) {
      this.#cooldown = cooldownAfterError(this.#cooldown, nowMs);
    } else if (outcome.status >= 200 && outcome.status < 300) {
      this.#cooldown = cooldownAfterSuccess(this.#cooldown);
      this.#peerState = 'usable';
    }
    this.#emitIfChanged();
  }

  /** An operator's reset (docs/ADMIN.md): our own bench of this peer and its model blocks end; what the peer reports stays. */
  resetCooldown(): void {
    this.#cooldown = NO_COOLDOWN;
    this.#modelBlocks.clear();
    this.#emitIfChanged();
  }

  /** Emits only when something a status watcher could see changed. */
  #emitIfChanged(): void {
    const snapshot = this.snapshot(this.#options.clock.now());
    const key = JSON.stringify(snapshot);
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    this.#changes.emit();
  }

  onChange(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#unsubscribeLink();
    await this.#stream.close();
    this.#changes.clear();
  }
}

/** A peer's families are its provider's business; the model id is the finest safe key. */
function modelKey(model: string): string {
  return model.toLowerCase().slice(0, 128);
}
