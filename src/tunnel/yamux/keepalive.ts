/**
 * Yamux ping keepalive. A ping goes out every `intervalMs`; if no pong arrives within `timeoutMs`
 * the peer is declared dead. A frozen peer (socket open, nothing coming back) is therefore noticed
 * within interval + timeout, which TCP alone would not do for many minutes.
 */
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
}

export class Keepalive {
  readonly #options: KeepaliveOptions;
  readonly #pending = new Map<number, PendingPing>();
  #nextOpaque = 1;
  #interval: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #isStopped = false;

  constructor(options: KeepaliveOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#options.intervalMs <= 0 || this.#isStopped) return;
    this.#interval = setInterval(() => this.#keepalivePing(), this.#options.intervalMs);
    // The transport socket keeps the process alive while it matters; the timer must not.
    this.#interval.unref();
  }

  /** Resolves with the round trip time; a ping also proves that every earlier frame arrived. */
  ping(): Promise<number> {
    if (this.#isStopped) return Promise.reject(new TunnelError('tunnel_closed', 'tunnel closed'));
    return new Promise((resolve, reject) => {
      const opaque = this.#send();
      const pending = this.#pending.get(opaque);
      if (pending !== undefined) Object.assign(pending, { resolve, reject });
    });
  }

  handlePong(opaque: number): void {
    // Any pong proves the peer is alive, even one answering an older ping.
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    const pending = this.#pending.get(opaque);
    if (pending === undefined) return;
    this.#pending.delete(opaque);
    pending.resolve?.(performance.now() - pending.sentAt);
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#interval !== undefined) clearInterval(this.#interval);
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#interval = undefined;
    this.#deadline = undefined;
    for (const pending of this.#pending.values()) pending.reject?.(new TunnelError('tunnel_closed', 'tunnel closed'));
    this.#pending.clear();
  }

  #keepalivePing(): void {
    if (this.#deadline !== undefined) return;
    this.#send();
    this.#deadline = setTimeout(() => {
      this.#deadline = undefined;
      if (!this.#isStopped) this.#options.onDead();
    }, this.#options.timeoutMs);
    this.#deadline.unref();
  }

  #send(): number {
    const opaque = this.#nextOpaque;
    this.#nextOpaque = this.#nextOpaque >= 0xffff_ffff ? 1 : this.#nextOpaque + 1;
    this.#pending.set(opaque, { sentAt: performance.now() });
    // Unanswered keepalive pings from a dead peer must not accumulate.
    if (this.#pending.size > 64) {
      const [oldest, dropped] = this.#pending.entries().next().value ?? [];
      if (oldest !== undefined) this.#pending.delete(oldest);
      dropped?.reject?.(new TunnelError('keepalive_timeout', 'ping never answered'));
    }
    this.#options.sendPing(opaque);
    return opaque;
  }
}
