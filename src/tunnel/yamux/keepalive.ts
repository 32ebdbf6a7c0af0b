/**
 * Yamux ping keepalive. A ping goes out every `intervalMs`; if no pong arrives within `timeoutMs`
 * the peer is declared dead. A frozen peer (socket open, nothing coming back) is therefore noticed
 * within interval + timeout, which TCP alone would not do for many minutes.
 *
 * Only a pong that echoes the opaque value of a ping we sent counts: the values are random, so a
 * peer that stopped reading cannot keep itself alive with blind pongs (hashicorp/yamux
 * session.go ignores unmatched pongs the same way).
 */
import { randomInt } from 'node:crypto';
import { TunnelError } from '../errors.ts';

export interface KeepaliveOptions {
  intervalMs: number;
  timeoutMs: number;
  sendPing(opaque: number): void;
  onDead(): void;
}

interface PendingPing {
  sentAt: number;
  resolve?: (roundTripMs: number) => void;
  reject?: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Unanswered pings remembered at once; older ones fail when a newer one pushes them out. */
const MAX_PENDING_PINGS = 64;

export class Keepalive {
  readonly #options: KeepaliveOptions;
  readonly #pending = new Map<number, PendingPing>();
  #interval: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #deadlineOpaque: number | undefined;
  #roundTripMs: number | undefined;
  #isStopped = false;

  constructor(options: KeepaliveOptions) {
    this.#options = options;
  }

  /** The last measured round trip, undefined until a pong came back. */
  get roundTripMs(): number | undefined {
    return this.#roundTripMs;
  }

  start(): void {
    if (this.#options.intervalMs <= 0 || this.#isStopped) return;
    this.#interval = setInterval(() => this.#keepalivePing(), this.#options.intervalMs);
    // The transport socket keeps the process alive while it matters; the timer must not.
    this.#interval.unref();
    // A first round trip now, so stream windows can be tuned to it (libp2p-yamux does the same).
    this.#send();
  }

  /**
   * Resolves with the round trip time; a ping also proves that every earlier frame arrived.
   * With `timeoutMs`, rejects with keepalive_timeout if no pong came back in time.
   */
  ping(timeoutMs?: number): Promise<number> {
    if (this.#isStopped) return Promise.reject(new TunnelError('tunnel_closed', 'tunnel closed'));
    return new Promise((resolve, reject) => {
      const opaque = this.#send();
      const pending = this.#pending.get(opaque);
      if (pending === undefined) return;
      Object.assign(pending, { resolve, reject });
      if (timeoutMs === undefined) return;
      pending.timer = setTimeout(() => {
        if (this.#pending.get(opaque) !== pending) return;
        this.#pending.delete(opaque);
        reject(new TunnelError('keepalive_timeout', `no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.timer.unref();
    });
  }

  handlePong(opaque: number): void {
    const pending = this.#pending.get(opaque);
    if (pending === undefined) return;
    this.#pending.delete(opaque);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    const roundTripMs = performance.now() - pending.sentAt;
    this.#roundTripMs = roundTripMs;
    // Any ping of ours answered proves the peer alive, also one sent before the keepalive's own.
    if (this.#deadline !== undefined) {
      clearTimeout(this.#deadline);
      this.#deadline = undefined;
      this.#deadlineOpaque = undefined;
    }
    pending.resolve?.(roundTripMs);
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#interval = undefined;
    this.#deadline = undefined;
    for (const pending of this.#pending.values()) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject?.(new TunnelError('tunnel_closed', 'tunnel closed'));
    }
    this.#pending.clear();
  }

  #keepalivePing(): void {
    if (this.#deadline !== undefined) return;
    this.#deadlineOpaque = this.#send();
    this.#deadline = setTimeout(() => {
      this.#deadline = undefined;
      if (!this.#isStopped) this.#options.onDead();
    }, this.#options.timeoutMs);
    this.#deadline.unref();
  }

  #send(): number {
    let opaque = randomInt(1, 0xffff_ffff);
    while (this.#pending.has(opaque)) opaque = randomInt(1, 0xffff_ffff);
    this.#pending.set(opaque, { sentAt: performance.now() });
    // Unanswered pings to a dead peer must not accumulate.
    if (this.#pending.size > MAX_PENDING_PINGS) {
      for (const [oldest, dropped] of this.#pending) {
        if (oldest === this.#deadlineOpaque) continue;
        this.#pending.delete(oldest);
        if (dropped.timer !== undefined) clearTimeout(dropped.timer);
        dropped.reject?.(new TunnelError('keepalive_timeout', 'ping never answered'));
        break;
      }
    }
    this.#options.sendPing(opaque);
    return opaque;
  }
}
