/**
 * HTTP/1.1 over yamux streams, both directions. Inbound streams are handed to the node's own
 * http.Server exactly as accepted sockets are (`emit('connection')`), so tunnelled requests get
 * the same handler, timeouts and keep-alive; outbound requests use an http.Agent whose
 * connections are new streams, pooled for keep-alive like TCP sockets.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { YamuxStream } from './yamux/stream.ts';
import type { YamuxSession } from './yamux/session.ts';

/** The peer a request arrived from, when it arrived through a tunnel; `req.socket` goes in. */
export function peerNameOfSocket(socket: unknown): string | undefined {
  return socket instanceof YamuxStream ? socket.peerName : undefined;
}

/** Serves every inbound stream of `session` with `server`. Returns a function that stops it. */
export function serveStreamsWith(session: YamuxSession, server: http.Server): () => void {
  const onStream = (stream: YamuxStream): void => {
    server.emit('connection', stream);
  };
  session.on('stream', onStream);
  return () => session.off('stream', onStream);
}

/** What a TunnelAgent does about a request whose response head is late (see LivenessProbe). */
export interface ResponseHeadWatch {
  responseHeadTimeoutMs: number;
  /** Checks the stream's peer; resolves true when it is alive (the wait is then re-armed). */
  onLateHead(stream: YamuxStream): Promise<boolean>;
}

/** http.Agent's per-request entry point: public in Node, absent from @types/node. */
type AddRequest = (request: http.ClientRequest, options: http.ClientRequestArgs) => void;

export class TunnelAgent extends http.Agent {
  readonly #openStream: () => YamuxStream;
  readonly #watch: ResponseHeadWatch | undefined;

  /** `openStream` throws (TunnelError) when the peer has no live tunnel. */
  constructor(openStream: () => YamuxStream, options: http.AgentOptions & { responseHead?: ResponseHeadWatch } = {}) {
    const { responseHead, ...agentOptions } = options;
    super({ keepAlive: true, ...agentOptions });
    this.#openStream = openStream;
    this.#watch = responseHead;
  }

  /** Every request, on a new stream or a pooled one, gets a response-head timer. */
  addRequest(request: http.ClientRequest, options: http.ClientRequestArgs): void {
    const watch = this.#watch;
    if (watch !== undefined) request.once('socket', (socket) => watchResponseHead(request, socket, watch));
    (http.Agent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, request, options);
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    try {
      return this.#openStream();
    } catch (error) {
      if (callback === undefined) throw error;
      // The request's 'error' event carries the TunnelError, as for a refused TCP connection.
      callback(error as Error, undefined as unknown as Duplex);
      return undefined;
    }
  }

  override keepSocketAlive(socket: Duplex): boolean {
    if (socket instanceof YamuxStream && socket.isSessionClosing) return false;
    // @types/node says void; Node returns whether the socket may be pooled (Keep-Alive hints).
    return super.keepSocketAlive(socket as Parameters<http.Agent['keepSocketAlive']>[0]) as unknown as boolean;
  }

  /**
   * Pooled streams of a closing session would hold it open until its grace period ends; the
   * peer's server sees a clean end for each, as when an idle TCP connection is closed.
   */
  destroyIdleStreamsOfClosingSessions(): void {
    for (const sockets of Object.values(this.freeSockets)) {
      for (const socket of [...(sockets ?? [])]) {
        if (socket instanceof YamuxStream && socket.isSessionClosing) socket.destroy();
      }
    }
  }
}

function watchResponseHead(request: http.ClientRequest, socket: unknown, watch: ResponseHeadWatch): void {
  if (!(socket instanceof YamuxStream)) return;
  let timer: NodeJS.Timeout | undefined;
  let isSettled = false;
  const arm = (): void => {
    timer = setTimeout(() => {
      void watch.onLateHead(socket).then((isAlive) => {
        if (isAlive && !isSettled) arm();
      });
    }, watch.responseHeadTimeoutMs);
    timer.unref();
  };
  const settle = (): void => {
    isSettled = true;
    clearTimeout(timer);
  };
  request.once('response', settle);
  request.once('close', settle);
  arm();
}
