/**
 * The node's side of the tunnel layer (PROTOCOL.md › Tunnel handshake, Node-to-node requests):
 * accepts tunnels from configured peers on `/v1/tunnel`, dials out to connector peers, and gives
 * each external credential a PeerLink that prefers the live tunnel and falls back to HTTPS with the
 * peer token where the peer has a url. Requests arriving over a tunnel are served by the node's own
 * HTTP server.
 */
import { Agent as HttpAgent, type IncomingMessage, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { PeerLink, PeerRoute } from '../pool/index.ts';
import {
  createTunnelAcceptor,
  createTunnelDialer,
  peerNameOfSocket,
  PeerSessions,
  TUNNEL_PATH,
  type SessionTunables,
  type TunnelAcceptor,
  type TunnelDialer,
} from '../tunnel/index.ts';
import type { Config, PeerConfig } from './config-schema.ts';
import { ChangeListeners } from './change-listeners.ts';

export interface MeshOptions {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Extra CA for wss peers with a private certificate (tests, self-hosted hubs). */
  ca?: string | Buffer;
  /** Overrides the config's `tunnel` section (tests use short timings). */
  session?: TunnelTunables;
}

/** Yamux session tunables plus the liveness check of requests waiting on a peer. */
export type TunnelTunables = SessionTunables & { responseHeadTimeoutMs?: number; pingTimeoutMs?: number };

/** The config's `tunnel` section in the tunnel layer's terms, under any explicit overrides. */
export function tunnelTunables(config: Config['tunnel'], overrides: TunnelTunables = {}): TunnelTunables {
  return {
    maxStreams: config.max_streams,
    keepaliveIntervalMs: config.keepalive_interval_ms,
    keepaliveTimeoutMs: config.keepalive_timeout_ms,
    responseHeadTimeoutMs: config.response_head_timeout_ms,
    pingTimeoutMs: config.ping_timeout_ms,
    ...overrides,
  };
}

export { TUNNEL_PATH };

export type TunnelListener = (peerName: string, isUp: boolean) => void;

export class Mesh {
  readonly #options: MeshOptions;
  readonly #peers: Map<string, PeerConfig>;
  readonly #listeners = new ChangeListeners<TunnelListener>();
  readonly #httpsAgents = new Map<string, HttpAgent>();
  #sessions: PeerSessions | undefined;
  #acceptor: TunnelAcceptor | undefined;
  #dialers: TunnelDialer[] = [];

  constructor(options: MeshOptions) {
    this.#options = options;
    this.#peers = new Map(options.config.peers.map((peer) => [peer.name, peer]));
  }

  /** Serves tunnelled requests with `server` and dials connectors; upgrades come via handleUpgrade. */
  attach(server: Server): void {
    const { config, clock, logger } = this.#options;
    const tunnelLogger = logger.child({ component: 'tunnel' });
    const { responseHeadTimeoutMs, pingTimeoutMs, ...session } = tunnelTunables(config.tunnel, this.#options.session);
    const sessions = new PeerSessions({ server, logger: tunnelLogger, responseHeadTimeoutMs, pingTimeoutMs });
    sessions.on('up', (peer) => this.#listeners.emit(peer, true));
    sessions.on('down', (peer) => this.#listeners.emit(peer, false));
    this.#sessions = sessions;
    this.#acceptor = createTunnelAcceptor({
      peers: () => config.peers.map((peer) => ({ name: peer.name, token: peer.token })),
      onSession: (peer, session) => sessions.add(peer, session),
      clock,
      logger: tunnelLogger,
      session,
    });
    this.#dialers = config.peers
      .filter((peer) => peer.reverse && peer.url !== undefined)
      .map((peer) =>
        createTunnelDialer({
          url: peer.url ?? '',
          nodeName: config.name,
          token: peer.token,
          peerName: peer.name,
          onSession: (name, session) => sessions.add(name, session),
          ca: this.#options.ca,
          clock,
          logger: tunnelLogger.child({ peer: peer.name }),
          session,
        }),
      );
  }

  /** For the node's upgrade dispatcher: `GET /v1/tunnel`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#acceptor === undefined) socket.destroy();
    else this.#acceptor.handleUpgrade(request, socket, head);
  }

  peerOfSocket(socket: Socket): string | undefined {
    return peerNameOfSocket(socket);
  }

  /** Every configured peer with its tunnel state, for /metrics. */
  tunnels(): Array<{ peer: string; isUp: boolean; openStreams: number }> {
    return [...this.#peers.keys()].map((peer) => {
      const session = this.#sessions?.get(peer);
      return { peer, isUp: session !== undefined, openStreams: session?.streamCount ?? 0 };
    });
  }

  isUp(peerName: string): boolean {
    return this.#sessions?.isUp(peerName) ?? false;
  }

  onTunnel(listener: TunnelListener): () => void {
    return this.#listeners.add(listener);
  }

  link(peerName: string): PeerLink {
    const peer = this.#peers.get(peerName);
    if (peer === undefined) throw new Error(`no peer named ${peerName}`);
    return {
      peerName,
      route: () => this.#route(peer),
      onChange: (listener) => this.#listeners.add((name) => name === peerName && listener()),
    };
  }

  #route(peer: PeerConfig): PeerRoute | undefined {
    if (this.#sessions?.isUp(peer.name)) {
      // The host is never resolved: the agent's connections are streams of the peer's tunnel.
      return { baseUrl: `http://${peer.name}.tunnel`, agent: this.#sessions.agentFor(peer.name), headers: {}, viaTunnel: true };
    }
    if (peer.url === undefined) return undefined;
    return { baseUrl: peer.url, agent: this.#httpsAgent(peer.url), headers: { authorization: `Bearer ${peer.token}` }, viaTunnel: false };
  }

  #httpsAgent(url: string): HttpAgent {
    let agent = this.#httpsAgents.get(url);
    if (agent === undefined) {
      // No socket cap here either: the pool's slots bound requests to a peer (its external
      // credential's maxConcurrent), where a request over them is answered, not silently queued.
      const options = { keepAlive: true, maxSockets: Infinity, ...(this.#options.ca ? { ca: this.#options.ca } : {}) };
      agent = url.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
      this.#httpsAgents.set(url, agent);
    }
    return agent;
  }

  /** GoAway on every tunnel, stop dialing, stop accepting. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.#dialers.map((dialer) => dialer.close()));
    await this.#acceptor?.close();
    await this.#sessions?.close();
    for (const agent of this.#httpsAgents.values()) agent.destroy();
    this.#listeners.clear();
  }
}
