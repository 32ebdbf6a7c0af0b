/**
 * The connector side of sing-box's reverse tunnel (PROTOCOL.md › sing-box peers): dials a sing-box
 * receiver over TCP or TLS, writes the `Upgrade: reverse-proxy` request with the peer token,
 * requires `HTTP/1.1 101`, hands every byte read past the response head to yamux, and becomes the
 * yamux server: the receiver opens streams and we serve them. Dials again on the schedule of
 * ReconnectSchedule (sing-box's connectorLoop backs off the same way, 1 s doubling to 30 s).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { errorMessage, onceClose, systemClock, type Clock } from '../lib/index.ts';
import { silentLogger, type TunnelLogger } from './logger.ts';
import type { ReconnectCause, ReconnectOptions } from './reconnect-schedule.ts';
import { RedialLoop, type DialerState } from './redial-loop.ts';
import { readResponseHead, SING_BOX_SESSION_PROFILE, upgradeRequest, type SingBoxService } from './reverse-handshake.ts';
import { YamuxSession } from './yamux/session.ts';
import type { SessionTunables } from './yamux/session-options.ts';

export interface ReverseDialerOptions {
  /** The receiver's base URL (http or https); a path prefix is kept. */
  url: string;
  service: SingBoxService;
  token: string;
  peerName: string;
  onSession: (peerName: string, service: SingBoxService, session: YamuxSession) => void;
  /** Extra trusted CA for https (self-signed receivers, tests). */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  clock?: Clock;
  logger?: TunnelLogger;
  session?: SessionTunables;
  reconnect?: ReconnectOptions;
  handshakeTimeoutMs?: number;
}

type DialOutcome =
  { kind: 'open'; socket: net.Socket } | { kind: 'refused'; status: number; statusLine: string } | { kind: 'failed'; error: Error };

export class ReverseDialer extends EventEmitter<{ state: [state: DialerState] }> {
  readonly #options: ReverseDialerOptions;
  readonly #url: URL;
  readonly #clock: Clock;
  readonly #logger: TunnelLogger;
  #session: YamuxSession | undefined;
  #socket: net.Socket | undefined;
  readonly #loop: RedialLoop<DialOutcome>;

  constructor(options: ReverseDialerOptions) {
    super();
    this.#options = options;
    this.#url = new URL(options.url);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#loop = new RedialLoop<DialOutcome>(
      {
        dial: async () => {
          const outcome = await this.#dial();
          this.#socket = undefined;
          return outcome;
        },
        settle: (outcome) => (outcome.kind === 'open' ? this.#serve(outcome.socket) : this.#describeFailure(outcome)),
        discard: (outcome) => {
          if (outcome.kind === 'open') outcome.socket.destroy();
        },
        onState: (state) => this.emit('state', state),
      },
      options.reconnect,
    );
  }

  get state(): DialerState {
    return this.#loop.state;
  }

  readonly close: () => Promise<void> = onceClose(async () => {
    this.#loop.stop();
    this.#socket?.destroy();
    await this.#session?.close();
    await this.#loop.done;
  });

  async #serve(socket: net.Socket): Promise<ReconnectCause> {
    const startedAt = this.#clock.now();
    const session = new YamuxSession(socket, {
      ...SING_BOX_SESSION_PROFILE,
      ...this.#options.session,
      streamWindowBytes: SING_BOX_SESSION_PROFILE.streamWindowBytes,
      role: 'server',
      peerName: this.#options.peerName,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      logger: this.#logger,
    });
    // The dial paused the socket to hand it over whole; a paused stream stays paused for a new listener.
    socket.resume();
    this.#session = session;
    this.#loop.setState('connected');
    this.#logger.info({ peer: this.#options.peerName, service: this.#options.service }, 'sing-box reverse connection established');
    try {
      this.#options.onSession(this.#options.peerName, this.#options.service, session);
    } catch (error) {
      this.#logger.error({ err: error, peer: this.#options.peerName }, 'onSession threw; closing the tunnel');
      session.destroy();
    }
    await session.closed();
    this.#session = undefined;
    return { kind: 'tunnel_lost', livedMs: this.#clock.now() - startedAt };
  }

  #describeFailure(outcome: Exclude<DialOutcome, { kind: 'open' }>): ReconnectCause {
    const log = { peer: this.#options.peerName, service: this.#options.service, url: this.#url.origin };
    if (outcome.kind === 'refused' && outcome.status === 401) {
      this.#logger.error(
        { ...log, response: outcome.statusLine },
        'sing-box receiver refused our token: it must list it as an external credential; retrying at the slowest rate',
      );
      return { kind: 'unauthorized' };
    }
    const reason = outcome.kind === 'refused' ? outcome.statusLine : errorMessage(outcome.error);
    this.#logger.warn({ ...log, reason }, 'sing-box reverse dial failed');
    return { kind: 'dial_failed' };
  }

  #dial(): Promise<DialOutcome> {
    return new Promise((resolve) => {
      const isTls = this.#url.protocol === 'https:';
      const port = Number(this.#url.port || (isTls ? 443 : 80));
      const host = this.#url.hostname.replace(/^\[|\]$/g, '');
      const socket = isTls
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...(this.#options.ca ? { ca: this.#options.ca } : {}) })
        : net.connect({ host, port });
      this.#socket = socket;
      let received = Buffer.alloc(0);
      let isSettled = false;
      const settle = (outcome: DialOutcome): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        socket.off('data', onData);
        if (outcome.kind !== 'open') socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(
        () => settle({ kind: 'failed', error: new Error('upgrade timed out') }),
        this.#options.handshakeTimeoutMs ?? 5_000,
      );
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        const head = readResponseHead(received);
        if (head.kind === 'incomplete') return;
        if (head.kind === 'too_long') return settle({ kind: 'failed', error: new Error('upgrade response head too long') });
        if (head.kind === 'refused') return settle({ kind: 'refused', status: head.status, statusLine: head.statusLine });
        socket.pause();
        // Yamux frames coalesced with the 101 are the session's first bytes (sing-box `9e7d863e`).
        if (head.rest.length > 0) socket.unshift(head.rest);
        settle({ kind: 'open', socket });
      };
      socket.on('error', (error) => settle({ kind: 'failed', error }));
      socket.on('close', () => settle({ kind: 'failed', error: new Error('closed during upgrade') }));
      socket.once(isTls ? 'secureConnect' : 'connect', () => {
        socket.setNoDelay(true);
        socket.write(upgradeRequest(this.#url, this.#options.service, this.#options.token));
      });
      socket.on('data', onData);
    });
  }
}
