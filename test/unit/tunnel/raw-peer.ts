/**
 * A hand-driven yamux peer for replay tests: it writes raw frames and sees every frame our
 * session sends, so a test can reproduce another implementation's exact frame sequence.
 */
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import type { SessionOptions } from '../../../src/tunnel/yamux/session-options.ts';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { FrameDecoder } from '../../../src/tunnel/yamux/decode.ts';
import type { Frame } from '../../../src/tunnel/yamux/frame.ts';
import { MemoryLink } from './helpers.ts';

export interface RawPeer {
  session: YamuxSession;
  /** Our session's transport and the one the test writes to. */
  link: { left: Duplex; right: Duplex };
  /** Every frame our session sent; payloads over 64 bytes are left out. */
  received: Frame[];
  /** Called for every frame our session sends, with its payload. */
  onFrame: (frame: Frame) => void;
  send(frame: Omit<Frame, 'payload'>, payload?: Buffer): void;
}

/** Our session in `role` on one end of a MemoryLink; the test plays the other end. */
export function rawPeer(
  role: 'client' | 'server',
  options: Partial<SessionOptions> = {},
  link: { left: Duplex; right: Duplex } = new MemoryLink(),
): RawPeer {
  const session = new YamuxSession(link.left, { ...options, role });
  const decoder = new FrameDecoder({ maxDataLength: 64 * 1024 * 1024 });
  const peer: RawPeer = {
    session,
    link,
    received: [],
    onFrame: () => {},
    send: (frame, payload) => void link.right.write(encodeFrame(frame, payload)),
  };
  link.right.on('data', (chunk: Buffer) =>
    decoder.push(chunk, (frame) => {
      // Payloads are views of the chunk: the record keeps small ones only, onFrame sees all.
      peer.received.push({ ...frame, payload: Buffer.from(frame.payload.length <= 64 ? frame.payload : []) });
      peer.onFrame(frame);
    }),
  );
  // Like a socket: the end of one direction is answered by the end of the other.
  link.right.on('end', () => link.right.end());
  return peer;
}

/** A connected TCP pair on loopback: real socket buffers and backpressure. */
export async function tcpPair(): Promise<{ left: net.Socket; right: net.Socket; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const left = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const right = await accepted;
  await new Promise((resolve) => (left.readyState === 'open' ? resolve(undefined) : left.once('connect', resolve)));
  server.close();
  return { left, right, close: () => (left.destroy(), right.destroy()) };
}
