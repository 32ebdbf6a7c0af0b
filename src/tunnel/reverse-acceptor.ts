/**
 * The receiving end of sing-box's reverse tunnel (`GET /ccm/v1/reverse`, `/ocm/v1/reverse`;
 * PROTOCOL.md › sing-box peers): a sing-box connector proves its peer token as a Bearer, gets
 * sing-box's literal 101, and from then on the socket carries hashicorp yamux with us as the
 * client (we open the streams, it serves them). Refusals are the JSON bodies sing-box writes;
 * failures count against the same per-address limiter as `/v1/tunnel`.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { onceClose, systemClock, type Clock } from '../lib/index.ts';
import { FailureLimiter } from './failure-limiter.ts';
import type { TunnelPeer } from './handshake.ts';
import { peerNameOfSocket } from './http-over-mux.ts';
import { silentLogger, type TunnelLogger } from './logger.ts';
import {
  INVALID_REVERSE_TOKEN,
  matchToken,
  refusalBody,
  REVERSE_SWITCHING_RESPONSE,
  SING_BOX_SESSION_PROFILE,
  upgradeToken,
  type SingBoxService,
  type UpgradeRefusal,
} from './reverse-handshake.ts';
import { YamuxSession } from './yamux/session.ts';
import type { SessionTunables } from './yamux/session-options.ts';

export interface ReverseAcceptorOptions {
  /** sing-box peers that may dial us (not our own connectors); read on every upgrade. */
  peers: () => readonly TunnelPeer[];
  /** Shared with the `/v1/tunnel` acceptor, so two doors do not double an address's guesses. */
  failures: FailureLimiter;
  clock?: Clock;
  logger?: TunnelLogger;
  session?: SessionTunables;
  maxPendingHandshakes?: number;
  handshakeTimeoutMs?: number;
}

export interface ReverseAcceptorEvents {
  session: [peerName: string, service: SingBoxService, session: YamuxSession];
}

export class ReverseAcceptor extends EventEmitter<ReverseAcceptorEvents> {
  readonly #options: ReverseAcceptorOptions;
  readonly #clock: Clock;
  readonly #logger: TunnelLogger;
  readonly #pending = new Set<Duplex>();
  #isClosed = false;

  constructor(options: ReverseAcceptorOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, service: SingBoxService): void {
    socket.on('error', () => {});
    const address = (socket as Partial<Socket>).remoteAddress ?? 'unknown';
    const nowMs = this.#clock.now();
    if (this.#isClosed) return refuseBare(socket, 503);
    // A tunnel inside a tunnel would give a peer sessions nobody configured.
    if (peerNameOfSocket(socket) !== undefined) return refuseBare(socket, 400);
    const retryAfterMs = this.#options.failures.retryAfterMs(address, nowMs);
    if (retryAfterMs > 0) return refuseBare(socket, 429, `Retry-After: ${Math.ceil(retryAfterMs / 1000)}`);
    if (this.#pending.size >= (this.#options.maxPendingHandshakes ?? 64)) return refuseBare(socket, 503);
    const apiKey = request.headers['x-api-key'] ?? request.headers['api-key'];
    const presented = upgradeToken(
      { upgrade: request.headers.upgrade, authorization: request.headers.authorization, hasApiKey: apiKey !== undefined && apiKey !== '' },
      service,
    );
    const peer = 'token' in presented ? matchToken(this.#options.peers(), presented.token) : undefined;
    if (request.method !== 'GET' || peer === undefined) {
      const refusal = 'refusal' in presented ? presented.refusal : INVALID_REVERSE_TOKEN;
      this.#logger.warn({ address, service, reason: refusal.message }, 'sing-box reverse connect refused');
      if (this.#options.failures.recordFailure(address, nowMs)) {
        this.#logger.warn({ address }, 'too many failed tunnel handshakes; refusing this address for a while');
      }
      return refuse(socket, service, refusal, request.headers['request-id']);
    }
    this.#accept(socket, head, peer.name, service);
  }

  /**
   * The session is handed out only once the connector's yamux answers a ping: a client that gets
   * the 101 but never speaks yamux never replaces a working tunnel of the same peer.
   */
  #accept(socket: Duplex, head: Buffer, peerName: string, service: SingBoxService): void {
    this.#pending.add(socket);
    const net = socket as Partial<Socket>;
    net.setTimeout?.(0);
    net.setNoDelay?.(true);
    socket.write(REVERSE_SWITCHING_RESPONSE);
    // Frames that came in the same packet as the upgrade request are the first yamux bytes.
    if (head.length > 0) socket.unshift(head);
    const session = new YamuxSession(socket, {
      ...SING_BOX_SESSION_PROFILE,
      ...this.#options.session,
      streamWindowBytes: SING_BOX_SESSION_PROFILE.streamWindowBytes,
      role: 'client',
      peerName,
      remoteAddress: net.remoteAddress,
      remotePort: net.remotePort,
      logger: this.#logger,
    });
    socket.resume();
    session.ping(this.#options.handshakeTimeoutMs ?? 5_000).then(
      () => {
        this.#pending.delete(socket);
        if (this.#isClosed || session.isClosed) return session.destroy();
        this.#logger.info({ peer: peerName, service }, 'sing-box reverse connection established');
        this.emit('session', peerName, service, session);
      },
      () => {
        this.#pending.delete(socket);
        this.#logger.warn({ peer: peerName, service }, 'sing-box connector did not answer a yamux ping; dropping it');
        session.destroy();
      },
    );
  }

  readonly close: () => Promise<void> = onceClose(async () => {
    this.#isClosed = true;
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  });
}

function refuse(socket: Duplex, service: SingBoxService, refusal: UpgradeRefusal, requestId: string | string[] | undefined): void {
  const body = refusalBody(service, refusal, typeof requestId === 'string' ? requestId : '');
  const head = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  end(socket, `${head.join('\r\n')}\r\n\r\n${body}`);
}

function refuseBare(socket: Duplex, status: number, extraHeader?: string): void {
  const headers = ['Connection: close', 'Content-Length: 0', ...(extraHeader === undefined ? [] : [extraHeader])];
  end(socket, `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers.join('\r\n')}\r\n\r\n`);
}

function end(socket: Duplex, text: string): void {
  if (socket.writable) socket.end(text);
  socket.once('finish', () => socket.destroy());
  // A client that never reads must not keep the socket half-closed forever.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
