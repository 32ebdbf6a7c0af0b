/**
 * The connector: dials the peer's /v1/tunnel, becomes the yamux server once the WebSocket is open,
 * hands the session out, and dials again when it ends, on the schedule of ReconnectSchedule.
 * A refused authorization is logged at error level (it will not fix itself) and retried slowly.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { errorMessage, onceClose, systemClock, type Clock } from '../lib/index.ts';
import { TUNNEL_SUBPROTOCOL, signAuthorization, tunnelUrl } from './handshake.ts';
import { silentLogger, type TunnelLogger } from './logger.ts';
import { ReconnectSchedule, type ReconnectCause, type ReconnectOptions } from './reconnect-schedule.ts';
import { WebSocketDuplex, tunnelWebSocketOptions, zeroMask } from './ws-duplex.ts';
import { YamuxSession } from './yamux/session.ts';
import type { SessionTunables } from './yamux/session-options.ts';

export interface TunnelDialerOptions {
  /** The peer's base URL as configured (http/https, or ws/wss); /v1/tunnel is appended. */
  url: string;
  /** Our own name, sent in the handshake. */
  nodeName: string;
  token: string;
  /** Our name for the peer, stamped on its streams; defaults to the url's host. */
  peerName?: string;
  onSession: (peerName: string, session: YamuxSession) => void;
  /** Extra trusted CA for wss (self-signed peers, tests). */
  ca?: string | Buffer | Array<string | Buffer>;
  clock?: Clock;
  logger?: TunnelLogger;
  session?: SessionTunables;
  reconnect?: ReconnectOptions;
  handshakeTimeoutMs?: number;
}

export type DialerState = 'connecting' | 'connected' | 'waiting' | 'closed';

export interface TunnelDialerEvents {
  state: [state: DialerState];
  /** The next dial is `delayMs` away, and why. */
  waiting: [delayMs: number, cause: ReconnectCause];
}

type DialOutcome =
  | { kind: 'open'; transport: WebSocketDuplex; remoteAddress: string | undefined; remotePort: number | undefined }
  | { kind: 'refused'; status: number; retryAfterMs: number | undefined }
  | { kind: 'failed'; error: Error };

export class TunnelDialer extends EventEmitter<TunnelDialerEvents> {
  readonly peerName: string;
  readonly #options: TunnelDialerOptions;
  readonly #url: URL;
  readonly #clock: Clock;
  readonly #logger: TunnelLogger;
  readonly #schedule: ReconnectSchedule;
  #state: DialerState = 'connecting';
  #session: YamuxSession | undefined;
  #connecting: WebSocket | undefined;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  constructor(options: TunnelDialerOptions) {
    super();
    this.#options = options;
    this.#url = tunnelUrl(options.url);
    this.peerName = options.peerName ?? this.#url.host;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#schedule = new ReconnectSchedule(options.reconnect);
    this.#loop = this.#run();
  }

  get state(): DialerState {
    return this.#state;
  }

  get session(): YamuxSession | undefined {
    return this.#session;
  }

  /** Skips the remaining backoff wait; no effect while connecting or connected. */
  redialNow(): void {
    this.#wake?.();
  }

  /** Stops dialing and closes the current tunnel with a GoAway. */
  readonly close: () => Promise<void> = onceClose(async () => {
    this.#setState('closed');
    this.#connecting?.terminate();
    this.#wake?.();
    await this.#session?.close();
    await this.#loop;
  });

  async #run(): Promise<void> {
    while (!this.#isClosed()) {
      this.#setState('connecting');
      const outcome = await this.#dial();
      if (this.#isClosed()) {
        if (outcome.kind === 'open') outcome.transport.destroy();
        return;
      }
      const cause = outcome.kind === 'open' ? await this.#serve(outcome) : this.#describeFailure(outcome);
      if (this.#isClosed()) return;
      const delayMs = this.#schedule.delayAfter(cause);
      this.#setState('waiting');
      this.emit('waiting', delayMs, cause);
      await this.#sleep(delayMs);
    }
  }

  async #serve(outcome: Extract<DialOutcome, { kind: 'open' }>): Promise<ReconnectCause> {
    const startedAt = this.#clock.now();
    const session = new YamuxSession(outcome.transport, {
      ...this.#options.session,
      role: 'server',
      peerName: this.peerName,
      remoteAddress: outcome.remoteAddress,
      remotePort: outcome.remotePort,
      logger: this.#logger,
    });
    this.#session = session;
    this.#setState('connected');
    this.#logger.info({ peer: this.peerName, url: this.#url.href }, 'tunnel connected');
    try {
      this.#options.onSession(this.peerName, session);
    } catch (error) {
      this.#logger.error({ err: error, peer: this.peerName }, 'onSession threw; closing the tunnel');
      session.destroy();
    }
    await session.closed();
    this.#session = undefined;
    return { kind: 'tunnel_lost', livedMs: this.#clock.now() - startedAt };
  }

  #describeFailure(outcome: Exclude<DialOutcome, { kind: 'open' }>): ReconnectCause {
    if (outcome.kind === 'refused' && outcome.status === 401) {
      this.#logger.error(
        { peer: this.peerName, url: this.#url.href },
        'peer refused our tunnel authorization: the peer token or node clock is wrong; retrying at the slowest rate',
      );
      return { kind: 'unauthorized' };
    }
    const reason = outcome.kind === 'refused' ? `HTTP ${outcome.status}` : errorMessage(outcome.error);
    this.#logger.warn({ peer: this.peerName, url: this.#url.href, reason }, 'tunnel dial failed');
    return { kind: 'dial_failed', retryAfterMs: outcome.kind === 'refused' ? outcome.retryAfterMs : undefined };
  }

  #dial(): Promise<DialOutcome> {
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(this.#url, [TUNNEL_SUBPROTOCOL], {
          ...tunnelWebSocketOptions,
          headers: {
            authorization: signAuthorization({ node: this.#options.nodeName, token: this.#options.token, nowMs: this.#clock.now() }),
          },
          handshakeTimeout: this.#options.handshakeTimeoutMs ?? 5_000,
          followRedirects: false,
          generateMask: zeroMask,
          ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
        });
      } catch (error) {
        return resolve({ kind: 'failed', error: error as Error });
      }
      this.#connecting = ws;
      // Before 'open': frames arriving with the 101 must find a listener.
      const transport = new WebSocketDuplex(ws);
      transport.on('error', () => {});
      let remoteAddress: string | undefined;
      let remotePort: number | undefined;
      ws.once('upgrade', (response: IncomingMessage) => {
        remoteAddress = response.socket.remoteAddress;
        remotePort = response.socket.remotePort;
      });
      ws.once('open', () => {
        this.#connecting = undefined;
        resolve({ kind: 'open', transport, remoteAddress, remotePort });
      });
      ws.once('unexpected-response', (request, response) => {
        const retryAfterSeconds = Number(response.headers['retry-after']);
        resolve({
          kind: 'refused',
          status: response.statusCode ?? 0,
          retryAfterMs: Number.isFinite(retryAfterSeconds) ? retryAfterSeconds * 1000 : undefined,
        });
        response.resume();
        request.destroy();
        transport.destroy();
      });
      ws.once('error', (error) => resolve({ kind: 'failed', error }));
      ws.once('close', () => resolve({ kind: 'failed', error: new Error('closed during handshake') }));
    });
  }

  /** A method, not a field read, so TypeScript does not narrow across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      this.#wake = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.#wake = undefined));
  }

  #setState(state: DialerState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.emit('state', state);
  }
}

export function createTunnelDialer(options: TunnelDialerOptions): TunnelDialer {
  return new TunnelDialer(options);
}
