/**
 * The net.Socket surface Node's http client and server use, for a Duplex that is not a TCP
 * socket: idle timeouts ('timeout' after setTimeout(ms) without activity), destroySoon, address
 * getters, and the TCP knobs (no delay, keepalive, ref) as harmless no-ops. Subclasses report
 * reads and writes through `markActivity()`.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import { IdleTimer } from './idle-timer.ts';

export interface SocketAddressSource {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

export class SocketDuplex extends Duplex {
  /** Node's http client waits for 'connect' while this is true; a stream is usable at once. */
  readonly connecting = false;
  readonly #address: SocketAddressSource;
  readonly #idle = new IdleTimer(() => this.emit('timeout'));

  constructor(address: SocketAddressSource, options: DuplexOptions) {
    super(options);
    this.#address = address;
  }

  get remoteAddress(): string | undefined {
    return this.#address.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#address.remotePort;
  }

  get timeout(): number | undefined {
    return this.#idle.timeoutMs === 0 ? undefined : this.#idle.timeoutMs;
  }

  setTimeout(timeoutMs: number, callback?: () => void): this {
    if (callback !== undefined) {
      if (timeoutMs === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#idle.set(timeoutMs);
    return this;
  }

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _initialDelayMs?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): object {
    return {};
  }

  /** net.Socket's: end, then destroy once the FIN is out. Node's http server calls it. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  protected markActivity(): void {
    this.#idle.touch();
  }

  protected stopIdleTimer(): void {
    this.#idle.clear();
  }
}
