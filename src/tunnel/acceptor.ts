/**
 * The receiving end of tunnels (`GET /v1/tunnel`, wired to the node's 'upgrade' event). The
 * connector is authenticated from the request headers alone, before the 101 goes out, so an
 * unauthenticated client never gets a WebSocket: 401 with an empty body, whatever was wrong.
 * Failures are counted per source address; pending handshakes are capped and time out.
 * On success the acceptor becomes the yamux client and hands the session out.
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { onceClose, systemClock, type Clock } from '../lib/index.ts';
import { FailureLimiter, type FailureLimiterOptions } from './failure-limiter.ts';
import { peerNameOfSocket } from './http-over-mux.ts';
import { TUNNEL_SUBPROTOCOL, parseAuthorization, verifyAuthorization, type TunnelPeer } from './handshake.ts';
import { silentLogger, type TunnelLogger } from './logger.ts';
import { NonceCache } from './nonce-cache.ts';
import { WebSocketDuplex, tunnelWebSocketOptions } from './ws-duplex.ts';
import { YamuxSession } from './yamux/session.ts';
import type { SessionTunables } from './yamux/session-options.ts';

export interface TunnelAcceptorOptions {
  /** Read on every handshake, so a config reload takes effect at once. */
  peers: () => readonly TunnelPeer[];
  onSession?: (peerName: string, session: YamuxSession) => void;
  clock?: Clock;
  logger?: TunnelLogger;
  session?: SessionTunables;
  maxPendingHandshakes?: number;
  handshakeTimeoutMs?: number;
  failureLimit?: FailureLimiterOptions;
  /** A limiter shared with other doors (sing-box's reverse upgrade); else one of our own. */
  failures?: FailureLimiter;
}

export interface TunnelAcceptorEvents {
  /** `claimedNode` is the name the connector signed; only `peerName` (the token's) is proven. */
  session: [peerName: string, session: YamuxSession, claimedNode: string];
}

export class TunnelAcceptor extends EventEmitter<TunnelAcceptorEvents> {
  readonly #options: TunnelAcceptorOptions;
  readonly #clock: Clock;
  readonly #logger: TunnelLogger;
  readonly #failures: FailureLimiter;
  readonly #nonces = new NonceCache();
  readonly #pending = new Map<Duplex, NodeJS.Timeout>();
  readonly #server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    ...tunnelWebSocketOptions,
    handleProtocols: (protocols) => (protocols.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
  });
  #isClosed = false;

  constructor(options: TunnelAcceptorOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#failures = options.failures ?? new FailureLimiter(options.failureLimit);
    if (options.onSession !== undefined) this.on('session', options.onSession);
  }

  get pendingHandshakes(): number {
    return this.#pending.size;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's http server drops its own error handler before 'upgrade'; a reset must not crash us.
    socket.on('error', () => {});
    const address = (socket as Partial<Socket>).remoteAddress ?? 'unknown';
    const nowMs = this.#clock.now();
    if (this.#isClosed) return reject(socket, 503);
    const carrier = peerNameOfSocket(socket);
    if (carrier !== undefined) {
      // A tunnel inside a tunnel would give a peer sessions nobody configured, each with its
      // own stream limit; the failure limiter (keyed by peer) keeps a repeating peer quiet.
      const key = `tunnel of peer ${carrier}`;
      if (this.#failures.retryAfterMs(key, nowMs) === 0) {
        this.#logger.warn({ peer: carrier }, 'refused a tunnel upgrade arriving through a tunnel');
        this.#recordFailure(key, nowMs);
      }
      return reject(socket, 400);
    }
    const retryAfterMs = this.#failures.retryAfterMs(address, nowMs);
    if (retryAfterMs > 0) return reject(socket, 429, `Retry-After: ${Math.ceil(retryAfterMs / 1000)}`);
    if (this.#pending.size >= (this.#options.maxPendingHandshakes ?? 64)) return reject(socket, 503);
    if (!isTunnelUpgrade(request)) {
      this.#recordFailure(address, nowMs);
      return reject(socket, 400);
    }
    const authorization = parseAuthorization(request.headers.authorization);
    const peer = authorization && verifyAuthorization(authorization, this.#options.peers(), nowMs);
    // Remembered only once verified: unauthenticated clients cannot fill the cache.
    if (authorization === undefined || peer === undefined || !this.#nonces.remember(authorization.nonce, nowMs)) {
      // The name in a refused header is anyone's claim, so it is logged as one.
      this.#logger.warn({ address, claimedNode: authorization?.node }, 'tunnel handshake refused');
      this.#recordFailure(address, nowMs);
      return reject(socket, 401);
    }
    if (authorization.node !== peer.name) {
      // The token says who this is; the signed name is only what the connector calls itself.
      this.#logger.warn(
        { peer: peer.name, claimedNode: authorization.node },
        'connector signs a node name other than the peer its token belongs to; it is known here by the peer name',
      );
    }
    this.#complete(request, socket, head, peer.name, authorization.node);
  }

  /** The refusals that follow are silent (429 before any check), so the moment they start is logged. */
  #recordFailure(address: string, nowMs: number): void {
    if (this.#failures.recordFailure(address, nowMs)) {
      this.#logger.warn({ address }, 'too many failed tunnel handshakes; refusing this address for a while');
    }
  }

  readonly close: () => Promise<void> = onceClose(async () => {
    this.#isClosed = true;
    for (const [socket, timer] of this.#pending) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.#pending.clear();
  });

  /**
   * A handshake stays pending until the connector's yamux answers a ping: a client that completes
   * the WebSocket upgrade but never speaks yamux holds a slot only until the timeout, and never
   * replaces a working tunnel of the same peer.
   */
  #complete(request: IncomingMessage, socket: Duplex, head: Buffer, peerName: string, claimedNode: string): void {
    const timer = setTimeout(() => {
      this.#logger.warn({ peer: peerName }, 'tunnel handshake timed out');
      socket.destroy();
    }, this.#options.handshakeTimeoutMs ?? 5_000);
    this.#pending.set(socket, timer);
    const settle = (): void => {
      clearTimeout(timer);
      this.#pending.delete(socket);
      socket.off('close', settle);
    };
    socket.once('close', settle);
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      if (this.#isClosed) return ws.terminate();
      const session = new YamuxSession(new WebSocketDuplex(ws), {
        ...this.#options.session,
        role: 'client',
        peerName,
        remoteAddress: (socket as Partial<Socket>).remoteAddress,
        remotePort: (socket as Partial<Socket>).remotePort,
        logger: this.#logger,
      });
      session.ping().then(
        () => {
          settle();
          if (this.#isClosed || session.isClosed) return session.destroy();
          this.#handOver(peerName, session, claimedNode);
        },
        // The session ended first (timeout or the client left); 'close' on the socket settles.
        () => {},
      );
    });
  }

  #handOver(peerName: string, session: YamuxSession, claimedNode: string): void {
    this.#logger.info({ peer: peerName }, 'tunnel accepted');
    if (this.listenerCount('session') === 0) {
      this.#logger.warn({ peer: peerName }, 'no one takes tunnel sessions; closing');
      void session.close();
      return;
    }
    this.emit('session', peerName, session, claimedNode);
  }
}

export function createTunnelAcceptor(options: TunnelAcceptorOptions): TunnelAcceptor {
  return new TunnelAcceptor(options);
}

function isTunnelUpgrade(request: IncomingMessage): boolean {
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  return request.method === 'GET' && request.headers.upgrade?.toLowerCase() === 'websocket' && protocols.includes(TUNNEL_SUBPROTOCOL);
}

/** A bare status line: the reason for a refusal stays in our log, not in the answer. */
function reject(socket: Duplex, status: number, extraHeader?: string): void {
  if (socket.writable) {
    const headers = ['Connection: close', 'Content-Length: 0', ...(extraHeader === undefined ? [] : [extraHeader])];
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers.join('\r\n')}\r\n\r\n`);
  }
  socket.once('finish', () => socket.destroy());
  // A client that never reads must not keep the socket half-closed forever.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
