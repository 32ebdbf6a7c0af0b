/**
 * The node's side of the tunnel layer (PROTOCOL.md › Tunnel handshake, Node-to-node requests):
 * accepts tunnels from configured peers on `/v1/tunnel`, dials out to connector peers, and gives
 * each external credential a PeerLink that prefers the live tunnel and falls back to HTTPS with the
 * peer token where the peer has a url. Requests arriving over a tunnel are served by the node's own
 * HTTP server. sing-box peers (`protocol: "sing-box"`) get sing-box's reverse tunnel instead:
 * accepted on `/ccm/v1/reverse` and `/ocm/v1/reverse`, dialed with ReverseDialer, one per provider
 * (sing-box-peers.ts).
 */
import { Agent as HttpAgent, type IncomingMessage, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { PeerLink, PeerRoute } from '../pool/index.ts';
import type { ProviderName } from '../providers/index.ts';
import {
  createTunnelAcceptor,
  createTunnelDialer,
  FailureLimiter,
  peerNameOfSocket,
  PeerSessions,
  ReverseAcceptor,
  ReverseDialer,
  TUNNEL_PATH,
  type SessionTunables,
  type SingBoxService,
  type TunnelAcceptor,
  type TunnelDialer,
} from '../tunnel/index.ts';
import { PEER_KEYS_KEEPING_TUNNEL, type EntryChanges } from './config-diff.ts';
import type { Config, PeerConfig } from './config-schema.ts';
import { ChangeListeners } from './change-listeners.ts';
import { isSingBox, peerNameOfKey, REVERSE_PROXY_BASE_URL, servicesToDial, sessionKey, statusWatchOf } from './sing-box-peers.ts';

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
  #peers: Map<string, PeerConfig>;
  readonly #listeners = new ChangeListeners<TunnelListener>();
  readonly #httpsAgents = new Map<string, HttpAgent>();
  #sessions: PeerSessions | undefined;
  #acceptor: TunnelAcceptor | undefined;
  #reverseAcceptor: ReverseAcceptor | undefined;
  /** Per peer: our dialer, or a sing-box peer's one per provider. */
  readonly #dialers = new Map<string, Array<TunnelDialer | ReverseDialer>>();
  /** Dialers and tunnels a reload took out of service, still finishing their requests. */
  readonly #retiring = new Set<Promise<void>>();
  #session: SessionTunables | undefined;

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
    // Listeners hear the session key: a sing-box peer has one tunnel per provider (`name/ccm`).
    sessions.on('up', (key) => this.#listeners.emit(key, true));
    sessions.on('down', (key) => this.#listeners.emit(key, false));
    this.#sessions = sessions;
    this.#session = session;
    // One count of failed handshakes per address, whichever door it knocks on.
    const failures = new FailureLimiter();
    // Both read the peer table on every handshake: a peer a reload removed is refused from then on.
    this.#acceptor = createTunnelAcceptor({
      peers: () => this.#peerList((peer) => !isSingBox(peer)),
      onSession: (peer, session) => sessions.add(peer, session),
      clock,
      logger: tunnelLogger,
      session,
      failures,
    });
    // sing-box's receiver accepts normal and receiver credentials, never its own connectors.
    this.#reverseAcceptor = new ReverseAcceptor({
      peers: () => this.#peerList((peer) => isSingBox(peer) && !peer.reverse),
      failures,
      clock,
      logger: tunnelLogger,
      session,
    });
    this.#reverseAcceptor.on('session', (peer, service, tunnel) => sessions.add(`${peer}/${service}`, tunnel));
    for (const peer of this.#peers.values()) this.#dial(config, peer);
  }

  /**
   * A config reload (CONFIG.md › Reloading) to `config`. A removed peer, and one whose url, token
   * or any other key a tunnel depends on changed, has its tunnels retired (GoAway, open requests
   * get `drainMs`) and its dialers stopped; an added or changed connector is dialed. A peer whose
   * change touches only what it may use here keeps its tunnel.
   */
  updatePeers(config: Config, change: EntryChanges, drainMs: number): void {
    this.#peers = new Map(config.peers.map((peer) => [peer.name, peer]));
    const redial = change.changed
      .filter(({ key, fields }) => {
        const peer = this.#peers.get(key);
        // What we share with a sing-box receiver decides which of its services we dial.
        const dialsByShare = peer !== undefined && isSingBox(peer) && fields.includes('share');
        return dialsByShare || fields.some((field) => !PEER_KEYS_KEEPING_TUNNEL.includes(field));
      })
      .map(({ key }) => key);
    for (const name of [...change.removed, ...redial]) {
      const dialers = this.#dialers.get(name) ?? [];
      this.#dialers.delete(name);
      const sessions = this.#sessions;
      const keys =
        sessions === undefined ? [] : [name, ...sessions.peerNames().filter((key) => key !== name && peerNameOfKey(key) === name)];
      const retired = Promise.all([...keys.map((key) => sessions?.retire(key, drainMs)), ...dialers.map((dialer) => dialer.close())]).then(
        () => {},
      );
      this.#retiring.add(retired);
      void retired.finally(() => this.#retiring.delete(retired));
    }
    for (const name of [...change.added, ...redial]) {
      const peer = this.#peers.get(name);
      if (peer !== undefined) this.#dial(config, peer);
    }
  }

  #peerList(filter: (peer: PeerConfig) => boolean): Array<{ name: string; token: string }> {
    return [...this.#peers.values()].filter(filter).map((peer) => ({ name: peer.name, token: peer.token }));
  }

  #dial(config: Config, peer: PeerConfig): void {
    const sessions = this.#sessions;
    if (sessions === undefined || !peer.reverse || peer.url === undefined) return;
    const { clock, logger } = this.#options;
    const tunnelLogger = logger.child({ component: 'tunnel' });
    const session = this.#session;
    const url = peer.url;
    if (!isSingBox(peer)) {
      this.#dialers.set(peer.name, [
        createTunnelDialer({
          url,
          nodeName: this.#options.config.name,
          token: peer.token,
          peerName: peer.name,
          onSession: (name, dialed) => sessions.add(name, dialed),
          ca: this.#options.ca,
          clock,
          logger: tunnelLogger.child({ peer: peer.name }),
          session,
        }),
      ]);
      return;
    }
    this.#dialers.set(
      peer.name,
      servicesToDial(config, peer).map(
        (service) =>
          new ReverseDialer({
            url,
            service,
            token: peer.token,
            peerName: peer.name,
            onSession: (name, dialedService, tunnel) => sessions.add(`${name}/${dialedService}`, tunnel),
            ca: this.#options.ca,
            clock,
            logger: tunnelLogger.child({ peer: peer.name, service }),
            session,
          }),
      ),
    );
  }

  /** For the node's upgrade dispatcher: sing-box's `GET /ccm/v1/reverse` (`ccm`) or `/ocm/v1/reverse` (`ocm`). */
  handleReverseUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, service: SingBoxService): void {
    if (this.#reverseAcceptor === undefined) socket.destroy();
    else this.#reverseAcceptor.handleUpgrade(request, socket, head, service);
  }

  /** For the node's upgrade dispatcher: `GET /v1/tunnel`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#acceptor === undefined) socket.destroy();
    else this.#acceptor.handleUpgrade(request, socket, head);
  }

  peerOfSocket(socket: Socket): string | undefined {
    return peerNameOfSocket(socket);
  }

  /** Every configured peer with its tunnel state, for /metrics (a sing-box peer's tunnels summed). */
  tunnels(): Array<{ peer: string; isUp: boolean; openStreams: number }> {
    return [...this.#peers.keys()].map((peer) => {
      const sessions = this.#sessionsOf(peer);
      return { peer, isUp: sessions.length > 0, openStreams: sessions.reduce((sum, session) => sum + session.streamCount, 0) };
    });
  }

  isUp(peerName: string): boolean {
    return this.#sessionsOf(peerName).length > 0;
  }

  #sessionsOf(peerName: string): NonNullable<ReturnType<PeerSessions['get']>>[] {
    const sessions = this.#sessions;
    if (sessions === undefined) return [];
    return sessions.peerNames().flatMap((key) => {
      const session = peerNameOfKey(key) === peerName ? sessions.get(key) : undefined;
      return session === undefined ? [] : [session];
    });
  }

  /** Hears every tunnel of every peer: the peer's name, and whether any of its tunnels is up. */
  onTunnel(listener: TunnelListener): () => void {
    const lastUp = new Map<string, boolean>();
    return this.#listeners.add((key) => {
      const peer = peerNameOfKey(key);
      const isUp = this.isUp(peer);
      // A sing-box peer has a tunnel per provider: its second one coming up is no reconnect.
      if (key !== peer && lastUp.get(peer) === isUp) return;
      lastUp.set(peer, isUp);
      listener(peer, isUp);
    });
  }

  link(peerName: string, provider: ProviderName): PeerLink {
    const peer = this.#peers.get(peerName);
    if (peer === undefined) throw new Error(`no peer named ${peerName}`);
    const key = sessionKey(peer, provider);
    const statusWatch = statusWatchOf(peer, provider);
    return {
      peerName,
      ...(statusWatch === undefined ? {} : { statusWatch }),
      // Looked up on every request: a reload may have removed the peer (a change to its entry
      // makes a new link, reload.ts).
      route: () => {
        const current = this.#peers.get(peerName);
        return current === undefined ? undefined : this.#route(current, key);
      },
      onChange: (listener) => this.#listeners.add((changed) => changed === key && listener()),
    };
  }

  #route(peer: PeerConfig, key: string): PeerRoute | undefined {
    // A tunnel we dialed to a sing-box receiver only serves its requests; ours go over the url.
    const isOurs = !isSingBox(peer) || !peer.reverse;
    if (isOurs && this.#sessions?.isUp(key)) {
      const agent = this.#sessions.agentFor(key);
      if (isSingBox(peer)) {
        // sing-box's connector serves the tunnel with its whole service: it authenticates each
        // request as a user, by the peer token, and sees the Host its receiver would send.
        return { baseUrl: REVERSE_PROXY_BASE_URL, agent, headers: { authorization: `Bearer ${peer.token}` }, viaTunnel: true };
      }
      // The host is never resolved: the agent's connections are streams of the peer's tunnel.
      return { baseUrl: `http://${peer.name}.tunnel`, agent, headers: {}, viaTunnel: true };
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
    await Promise.all([...this.#dialers.values()].flat().map((dialer) => dialer.close()));
    await this.#acceptor?.close();
    await this.#reverseAcceptor?.close();
    await this.#sessions?.close();
    await Promise.all(this.#retiring);
    for (const agent of this.#httpsAgents.values()) agent.destroy();
    this.#listeners.clear();
  }
}
