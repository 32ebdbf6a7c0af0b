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
import type { ReconnectCause, ReconnectOptions } from './reconnect-schedule.ts';
import { RedialLoop, type DialerState } from './redial-loop.ts';
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

export type { DialerState } from './redial-loop.ts';

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
  #session: YamuxSession | undefined;
  #connecting: WebSocket | undefined;
  readonly #loop: RedialLoop<DialOutcome>;

  constructor(options: TunnelDialerOptions) {
    super();
    this.#options = options;
    this.#url = tunnelUrl(options.url);
    this.peerName = options.peerName ?? this.#url.host;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#loop = new RedialLoop<DialOutcome>(
      {
        dial: () => this.#dial(),
        settle: (outcome) => (outcome.kind === 'open' ? this.#serve(outcome) : this.#describeFailure(outcome)),
        discard: (outcome) => {
          if (outcome.kind === 'open') outcome.transport.destroy();
        },
        onState: (state) => this.emit('state', state),
        onWaiting: (delayMs, cause) => this.emit('waiting', delayMs, cause),
      },
      options.reconnect,
    );
  }

  get state(): DialerState {
    return this.#loop.state;
  }

  get session(): YamuxSession | undefined {
    return this.#session;
  }

  /** Skips the remaining backoff wait; no effect while connecting or connected. */
  redialNow(): void {
    this.#loop.redialNow();
  }

  /** Stops dialing and closes the current tunnel with a GoAway. */
  readonly close: () => Promise<void> = onceClose(async () => {
    this.#loop.stop();
    this.#connecting?.terminate();
    await this.#session?.close();
    await this.#loop.done;
  });

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
    this.#loop.setState('connected');
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
}

export function createTunnelDialer(options: TunnelDialerOptions): TunnelDialer {
  return new TunnelDialer(options);
}
