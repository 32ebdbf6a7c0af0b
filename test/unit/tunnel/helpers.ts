/** Shared by the tunnel unit tests: an in-memory transport pair and a seeded PRNG. */
import { Duplex } from 'node:stream';
import { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import type { SessionOptions } from '../../../src/tunnel/yamux/session-options.ts';

/** Two connected Duplexes; bytes are delivered asynchronously, like a socket, and can be frozen. */
export class MemoryLink {
  readonly left: Duplex;
  readonly right: Duplex;
  isFrozen = false;

  constructor() {
    const left: Duplex = this.#side(() => right);
    const right: Duplex = this.#side(() => left);
    this.left = left;
    this.right = right;
  }

  #side(other: () => Duplex): Duplex {
    const link = this;
    return new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (!link.isFrozen) setImmediate(() => other().push(chunk));
        callback();
      },
      final(callback) {
        setImmediate(() => other().push(null));
        callback();
      },
      destroy(error, callback) {
        setImmediate(() => other().destroy());
        callback(error);
      },
    });
  }
}

export function sessionPair(options: Partial<SessionOptions> = {}): { client: YamuxSession; server: YamuxSession; link: MemoryLink } {
  const link = new MemoryLink();
  const client = new YamuxSession(link.left, { ...options, role: 'client', peerName: 'server-side' });
  const server = new YamuxSession(link.right, { ...options, role: 'server', peerName: 'client-side' });
  return { client, server, link };
}

/** mulberry32: small, seeded, good enough to pick split points reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
