/**
 * @chainsafe/libp2p-yamux 8 (an independent yamux) on one end of a loopback TCP connection and
 * our YamuxSession on the other. libp2p muxers run over a MessageStream; SocketMessageStream is
 * the small adapter from a net.Socket to it.
 */
import { createHash } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { yamux } from '@chainsafe/libp2p-yamux';
import { logger } from '@libp2p/logger';
import { AbstractMessageStream, type SendResult } from '@libp2p/utils';
import type { Stream } from '@libp2p/interface';
import { YamuxSession } from '../../../../src/tunnel/yamux/session.ts';
import type { SessionOptions } from '../../../../src/tunnel/yamux/session-options.ts';

// libp2p-yamux uses Promise.withResolvers, which Node 20 lacks.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    },
  });
}

type Uint8ArrayList = Parameters<AbstractMessageStream['sendData']>[0];

export type TheirMuxer = ReturnType<ReturnType<ReturnType<typeof yamux>>['createStreamMuxer']>;

export class SocketMessageStream extends AbstractMessageStream {
  readonly #socket: net.Socket;

  constructor(socket: net.Socket, direction: 'inbound' | 'outbound') {
    super({ log: logger(`conformance:${direction}`), direction });
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onRemoteCloseWrite());
    socket.on('close', () => this.onTransportClosed());
    socket.on('drain', () => this.safeDispatchEvent('drain'));
    socket.on('error', (error) => this.abort(error));
  }

  sendData(data: Uint8ArrayList): SendResult {
    let canSendMore = true;
    for (const part of data) canSendMore = this.#socket.write(part);
    return { sentBytes: data.byteLength, canSendMore };
  }

  sendReset(): void {
    this.#socket.resetAndDestroy();
  }

  sendPause(): void {
    this.#socket.pause();
  }

  sendResume(): void {
    this.#socket.resume();
  }

  async close(): Promise<void> {
    this.#socket.end();
  }
}

export interface ConformancePair {
  ours: YamuxSession;
  theirs: TheirMuxer;
  close(): void;
}

/** Our session in `ourRole`; libp2p takes the other (its outbound side is the yamux client). */
export async function connectPair(ourRole: 'client' | 'server', options: Partial<SessionOptions> = {}): Promise<ConformancePair> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const dialed = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => dialed.once('connect', resolve));
  const listening = await accepted;
  server.close();
  const [ourSocket, theirSocket] = [dialed, listening];
  ourSocket.on('error', () => {});
  theirSocket.on('error', () => {});
  const ours = new YamuxSession(ourSocket, { keepaliveIntervalMs: 0, ...options, role: ourRole });
  const theirs = yamux({ enableKeepAlive: false })().createStreamMuxer(
    new SocketMessageStream(theirSocket, ourRole === 'client' ? 'inbound' : 'outbound'),
  );
  return {
    ours,
    theirs,
    close: () => {
      // The end of the test, not a failure of its streams.
      for (const stream of ours.streams()) stream.on('error', () => {});
      ours.destroy();
      if (theirs.status === 'open') theirs.abort(new Error('test over'));
      ourSocket.destroy();
      theirSocket.destroy();
    },
  };
}

/** Deterministic bytes: chunk `index` of a stream named `seed`. */
export function chunkOf(seed: number, index: number, size: number): Buffer {
  const chunk = Buffer.alloc(size, (seed * 31 + index) & 0xff);
  chunk.writeUInt32BE(index, 0);
  return chunk;
}

/** Writes `total` bytes to a libp2p stream with its backpressure; resolves once all are queued. */
export async function theirWrite(stream: Stream, seed: number, total: number, chunkBytes = 64 * 1024): Promise<string> {
  const hash = createHash('sha256');
  for (let index = 0, sent = 0; sent < total; index++) {
    const chunk = chunkOf(seed, index, Math.min(chunkBytes, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!stream.send(chunk)) await stream.onDrain();
  }
  return hash.digest('hex');
}

/** Reads a libp2p stream to its end (or `total` bytes); resolves with the count and sha256. */
export function theirRead(stream: Stream, total = Number.POSITIVE_INFINITY): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const finish = (): void => resolve({ bytes, sha256: hash.digest('hex') });
    stream.addEventListener('message', (event) => {
      for (const part of event.data instanceof Uint8Array ? [event.data] : event.data) hash.update(part);
      bytes += event.data.byteLength;
      if (bytes >= total) finish();
    });
    stream.addEventListener('remoteCloseWrite', () => (total === Number.POSITIVE_INFINITY ? finish() : undefined));
    stream.addEventListener('close', (event) => (event.error === undefined ? undefined : reject(event.error)));
  });
}
