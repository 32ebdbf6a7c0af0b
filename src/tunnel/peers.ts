/**
 * Peer name → its live tunnel session. Newest wins: a second tunnel from the same peer replaces
 * the first, which is closed (GoAway). 'up' fires for every session that becomes current, 'down'
 * only when the current one ends with no successor. A session's end clears the entry only if the
 * entry is still that session (sing-box `d5c6c6ae`: a late close must not remove its successor).
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { onceClose } from '../lib/index.ts';
import { TunnelError } from './errors.ts';
import { TunnelAgent, serveStreamsWith } from './http-over-mux.ts';
import { DEFAULT_LIVENESS, LivenessProbe } from './liveness-probe.ts';
import { silentLogger, type TunnelLogger } from './logger.ts';
import type { YamuxSession } from './yamux/session.ts';
import type { YamuxStream } from './yamux/stream.ts';

export interface PeerSessionsEvents {
  up: [peerName: string, session: YamuxSession];
  down: [peerName: string, error: Error | undefined];
}

export interface PeerSessionsOptions {
  /** Inbound streams of every session are served by this server (the node's HTTP surface). */
  server?: http.Server | undefined;
  logger?: TunnelLogger | undefined;
  /** A request without a response head this long pings its tunnel (default 2 s). */
  responseHeadTimeoutMs?: number | undefined;
  /** No pong within this long takes the peer down and fails its requests over (default 1.5 s). */
  pingTimeoutMs?: number | undefined;
}

export class PeerSessions extends EventEmitter<PeerSessionsEvents> {
  readonly #sessions = new Map<string, YamuxSession>();
  readonly #agents = new Map<string, TunnelAgent>();
  readonly #server: http.Server | undefined;
  readonly #logger: TunnelLogger;
  readonly #liveness: LivenessProbe;
  /** The session each outbound stream belongs to, for the liveness check of a late response. */
  readonly #sessionOfStream = new WeakMap<YamuxStream, YamuxSession>();
  /** Sessions retire() took out of service that are still finishing their streams. */
  readonly #retiring = new Set<YamuxSession>();
  #isClosed = false;

  constructor(options: PeerSessionsOptions = {}) {
    super();
    this.#server = options.server;
    this.#logger = options.logger ?? silentLogger;
    this.#liveness = new LivenessProbe({
      responseHeadTimeoutMs: options.responseHeadTimeoutMs ?? DEFAULT_LIVENESS.responseHeadTimeoutMs,
      pingTimeoutMs: options.pingTimeoutMs ?? DEFAULT_LIVENESS.pingTimeoutMs,
      logger: this.#logger,
    });
  }

  add(peerName: string, session: YamuxSession): void {
    if (this.#isClosed || session.isClosed) {
      void session.close();
      return;
    }
    const previous = this.#sessions.get(peerName);
    this.#sessions.set(peerName, session);
    if (this.#server !== undefined) serveStreamsWith(session, this.#server);
    session.on('goaway', () => this.#agents.get(peerName)?.destroyIdleStreamsOfClosingSessions());
    session.once('close', (error) => {
      if (this.#sessions.get(peerName) !== session) return;
      this.#sessions.delete(peerName);
      this.#logger.info({ peer: peerName, err: error }, 'tunnel down');
      this.emit('down', peerName, error);
    });
    if (previous !== undefined && previous !== session) {
      this.#logger.info({ peer: peerName }, 'newer tunnel replaces the previous one');
      void previous.close();
    }
    this.#logger.info({ peer: peerName, address: session.remoteAddress }, 'tunnel up');
    this.emit('up', peerName, session);
  }

  get(peerName: string): YamuxSession | undefined {
    const session = this.#sessions.get(peerName);
    return session === undefined || session.isClosed ? undefined : session;
  }

  isUp(peerName: string): boolean {
    return this.get(peerName) !== undefined;
  }

  peerNames(): string[] {
    return [...this.#sessions.keys()].filter((name) => this.isUp(name));
  }

  openStream(peerName: string): YamuxStream {
    const session = this.get(peerName);
    if (session === undefined) throw new TunnelError('tunnel_unavailable', `no live tunnel to peer ${peerName}`);
    const stream = session.openStream();
    this.#sessionOfStream.set(stream, session);
    return stream;
  }

  /** One keep-alive agent per peer; requests fail with tunnel_unavailable while it is down. */
  agentFor(peerName: string): http.Agent {
    let agent = this.#agents.get(peerName);
    if (agent === undefined) {
      agent = new TunnelAgent(() => this.openStream(peerName), {
        responseHead: {
          responseHeadTimeoutMs: this.#liveness.responseHeadTimeoutMs,
          onLateHead: async (stream) => {
            const session = this.#sessionOfStream.get(stream);
            return session === undefined ? false : this.#liveness.check(session);
          },
        },
      });
      this.#agents.set(peerName, agent);
    }
    return agent;
  }

  /**
   * A peer a config reload removed (or must redial): its tunnel takes no new streams from now on
   * (GoAway, and the peer is down here at once), streams already open get up to `graceMs`, then
   * the tunnel closes. Resolves when it has.
   */
  retire(peerName: string, graceMs: number): Promise<void> {
    const session = this.#sessions.get(peerName);
    const agent = this.#agents.get(peerName);
    this.#agents.delete(peerName);
    if (session === undefined) {
      agent?.destroy();
      return Promise.resolve();
    }
    this.#sessions.delete(peerName);
    this.#retiring.add(session);
    this.#logger.info({ peer: peerName, openStreams: session.streamCount }, 'tunnel retired; closing it after its open requests');
    this.emit('down', peerName, undefined);
    return session.close(graceMs).finally(() => {
      this.#retiring.delete(session);
      agent?.destroy();
      this.#logger.info({ peer: peerName }, 'retired tunnel closed');
    });
  }

  /** GoAway on every tunnel; sessions added later are closed at once. Retiring ones are cut (the node drained first). */
  readonly close: () => Promise<void> = onceClose(async () => {
    this.#isClosed = true;
    for (const session of this.#retiring) session.destroy();
    const sessions = [...this.#sessions.values()];
    await Promise.all(sessions.map((session) => session.close()));
    for (const agent of this.#agents.values()) agent.destroy();
  });
}
