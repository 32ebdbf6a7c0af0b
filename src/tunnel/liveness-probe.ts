/**
 * Notices a frozen peer within seconds instead of at the next keepalive verdict (up to 45 s).
 * When a request down a tunnel has had no response head for a while, the tunnel is pinged at
 * once; a peer whose pong does not come back promptly is taken down (its session destroyed), so
 * the waiting requests fail with a transport error the proxy fails over from, and the peer's
 * credentials turn unavailable (issue 11: a SIGSTOPped laptop stalled requests for 35–45 s).
 * A slow vendor behind a live peer only costs one ping: its pong comes back.
 */
import { TunnelError } from './errors.ts';
import type { TunnelLogger } from './logger.ts';
import type { YamuxSession } from './yamux/session.ts';

export interface LivenessOptions {
  /** No response head for this long: ping the peer. */
  responseHeadTimeoutMs: number;
  /** No pong within this long: the peer is down. */
  pingTimeoutMs: number;
  logger: TunnelLogger;
}

export const DEFAULT_LIVENESS = { responseHeadTimeoutMs: 2_000, pingTimeoutMs: 1_500 } as const;

export class LivenessProbe {
  readonly #options: LivenessOptions;
  /** One ping per session at a time, however many requests wait on it. */
  readonly #inFlight = new WeakMap<YamuxSession, Promise<boolean>>();

  constructor(options: LivenessOptions) {
    this.#options = options;
  }

  get responseHeadTimeoutMs(): number {
    return this.#options.responseHeadTimeoutMs;
  }

  /** Resolves true when the peer answered in time; otherwise its session is destroyed first. */
  check(session: YamuxSession): Promise<boolean> {
    let check = this.#inFlight.get(session);
    if (check === undefined) {
      check = this.#ping(session).finally(() => this.#inFlight.delete(session));
      this.#inFlight.set(session, check);
    }
    return check;
  }

  async #ping(session: YamuxSession): Promise<boolean> {
    const { pingTimeoutMs, logger } = this.#options;
    let hasEnded = false;
    const onClose = (): void => {
      hasEnded = true;
    };
    session.once('close', onClose);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), pingTimeoutMs);
      timer.unref();
    });
    const isAlive = await Promise.race([
      session.ping().then(
        () => true,
        () => false,
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    session.off('close', onClose);
    // A session that ended meanwhile has already failed its streams; nothing to take down.
    if (!isAlive && !hasEnded) {
      logger.warn(
        { peer: session.peerName, pingTimeoutMs },
        'peer did not answer a ping while a request waited for its response; taking its tunnel down',
      );
      session.destroy(new TunnelError('peer_unresponsive', `peer did not answer a ping within ${pingTimeoutMs} ms`));
    }
    return isAlive;
  }
}
