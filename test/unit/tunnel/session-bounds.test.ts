/**
 * What a misbehaving peer can make a session do: flood pings while not reading, answer pings
 * blindly, end the session with an error GoAway; and what a window may grow to.
 */
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { Flag, FrameType, GoAwayCode, HEADER_LENGTH, INITIAL_STREAM_WINDOW, type Frame } from '../../../src/tunnel/yamux/frame.ts';
import { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import type { YamuxStream } from '../../../src/tunnel/yamux/stream.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { rawPeer, type RawPeer } from './raw-peer.ts';

const open: YamuxSession[] = [];
afterEach(() => {
  for (const session of open.splice(0)) session.destroy();
});

function peerOf(role: 'client' | 'server', options: Parameters<typeof rawPeer>[1] = {}): RawPeer {
  const peer = rawPeer(role, options);
  open.push(peer.session);
  return peer;
}

/** A transport whose peer never reads: writes are held until `release()`. */
class StalledTransport extends Duplex {
  readonly #held: Array<() => void> = [];
  #isReleased = false;

  constructor() {
    super({ writableHighWaterMark: 16 * 1024 });
  }

  override _read(): void {}

  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.#isReleased) callback();
    else this.#held.push(callback);
  }

  release(): void {
    this.#isReleased = true;
    for (const callback of this.#held.splice(0)) callback();
  }
}

const pings = (count: number, first: number): Buffer =>
  Buffer.concat(
    Array.from({ length: count }, (_, index) => encodeFrame({ type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: first + index })),
  );

/** Answers a ping from the session as a live peer does. */
function answerPing(peer: RawPeer, frame: Frame): void {
  if (frame.type === FrameType.Ping && (frame.flags & Flag.SYN) !== 0)
    peer.send({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: frame.length });
}

describe('yamux session bounds', () => {
  it('stops reading a peer that floods pings and does not read, and resumes when it drains', async () => {
    const transport = new StalledTransport();
    const session = new YamuxSession(transport, { role: 'client', maxControlBacklogBytes: 64 * 1024 });
    open.push(session);
    // 1 Mi pings (12 MiB) offered in 64 KiB chunks, as fast as the session takes them.
    const chunkPings = (64 * 1024) / HEADER_LENGTH;
    for (let index = 0; index < 192; index++) transport.push(pings(chunkPings, index * chunkPings));
    await waitFor(() => transport.isPaused(), 'the session to stop reading');
    await new Promise((resolve) => setImmediate(resolve));
    // Bounded by the transport's high-water mark, the backlog and one 16 KiB batch of frames:
    // decoding stops mid-chunk.
    expect(transport.writableLength).toBeLessThanOrEqual(16 * 1024 + 64 * 1024 + 16 * 1024 + 2 * HEADER_LENGTH);
    expect(transport.readableLength).toBeGreaterThan(100 * 64 * 1024);
    expect(session.isClosed).toBe(false);
    transport.release();
    await waitFor(() => transport.readableLength === 0 && !transport.isPaused(), 'the rest of the pings to be answered');
  });

  it('does not count blind pongs as a sign of life', async () => {
    const peer = peerOf('server', { keepaliveIntervalMs: 30, keepaliveTimeoutMs: 120 });
    peer.onFrame = (frame) => {
      if (frame.type !== FrameType.Ping || (frame.flags & Flag.SYN) === 0) return;
      for (const guess of [frame.length + 1, frame.length - 1, 1, 2, 3])
        peer.send({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: guess >>> 0 });
    };
    const closed = new Promise<Error | undefined>((resolve) => peer.session.once('close', resolve));
    expect(await closed).toMatchObject({ code: 'keepalive_timeout' });
  });

  it('rejects ping(timeoutMs) when no pong comes back, and the session lives on', async () => {
    const peer = peerOf('client', { keepaliveIntervalMs: 0 });
    await expect(peer.session.ping(50)).rejects.toMatchObject({ code: 'keepalive_timeout' });
    expect(peer.session.isClosed).toBe(false);
    peer.onFrame = (frame) => answerPing(peer, frame);
    expect(await peer.session.ping(10_000)).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['protocol error', GoAwayCode.ProtocolError],
    ['internal error', GoAwayCode.InternalError],
    ['an unknown code', 77],
  ])('ends the session on a GoAway with %s', async (_name, code) => {
    const peer = peerOf('server');
    const stream = peer.session.openStream();
    const streamError = new Promise<Error>((resolve) => stream.once('error', resolve));
    const closed = new Promise<Error | undefined>((resolve) => peer.session.once('close', resolve));
    peer.send({ type: FrameType.GoAway, flags: 0, streamId: 0, length: code });
    expect(await closed).toMatchObject({ code: 'remote_goaway' });
    expect(await streamError).toMatchObject({ code: 'remote_goaway' });
  });

  it('keeps open streams after a normal GoAway and refuses new ones', async () => {
    const peer = peerOf('server');
    const stream = peer.session.openStream().on('error', () => {});
    const goaway = new Promise<void>((resolve) => peer.session.once('goaway', resolve));
    peer.send({ type: FrameType.GoAway, flags: 0, streamId: 0, length: GoAwayCode.Normal });
    await goaway;
    expect(() => peer.session.openStream()).toThrow(expect.objectContaining({ code: 'remote_goaway' }));
    peer.send({ type: FrameType.Data, flags: Flag.ACK | Flag.FIN, streamId: stream.id, length: 3 }, Buffer.from('bye'));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => stream.once('end', resolve));
    expect(Buffer.concat(chunks).toString()).toBe('bye');
    expect(peer.session.streamCount).toBe(1);
  });
});

describe('yamux window tuning', () => {
  /** The peer streams to us as fast as our credit allows; returns what it sent and was credited. */
  function feed(peer: RawPeer, id: number): { credited: () => number; sent: () => number; maxCredit: () => number } {
    let credit = INITIAL_STREAM_WINDOW;
    let credited = INITIAL_STREAM_WINDOW;
    let sent = 0;
    let maxCredit = 0;
    const pump = (): void => {
      while (credit > 0) {
        const size = Math.min(credit, 1024 * 1024);
        peer.send({ type: FrameType.Data, flags: 0, streamId: id, length: size }, Buffer.alloc(size, 5));
        credit -= size;
        sent += size;
      }
    };
    peer.onFrame = (frame) => {
      answerPing(peer, frame);
      if (frame.type !== FrameType.WindowUpdate || frame.streamId !== id) return;
      credit += frame.length;
      credited += frame.length;
      maxCredit = Math.max(maxCredit, frame.length);
      pump();
    };
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    pump();
    return { credited: () => credited, sent: () => sent, maxCredit: () => maxCredit };
  }

  /** After one ping round trip, the peer opens stream 2 and feeds it; returns the feed and our end. */
  async function acceptFed(peer: RawPeer): Promise<{ fed: ReturnType<typeof feed>; stream: YamuxStream }> {
    peer.onFrame = (frame) => answerPing(peer, frame);
    await peer.session.ping();
    const accepted = new Promise<YamuxStream>((resolve) => peer.session.once('stream', resolve));
    const fed = feed(peer, 2);
    return { fed, stream: (await accepted).on('error', () => {}) };
  }

  it('grows the window for a reader that keeps up, and holds a paused reader to it', async () => {
    const maxWindow = 4 * 1024 * 1024;
    const peer = peerOf('client', { maxStreamWindowBytes: maxWindow });
    const { fed, stream } = await acceptFed(peer);
    let read = 0;
    stream.on('data', (chunk: Buffer) => (read += chunk.length));
    await waitFor(() => fed.maxCredit() > INITIAL_STREAM_WINDOW, 'a credit larger than the initial window');
    stream.pause();
    await waitFor(() => fed.sent() === fed.credited(), 'the peer to use all its credit');
    await peer.session.ping();
    await peer.session.ping();
    expect(fed.sent()).toBe(fed.credited());
    expect(stream.readableLength).toBeLessThanOrEqual(maxWindow);
    expect(fed.sent() - read).toBe(stream.readableLength);
  });

  it('grows no window beyond the session budget', async () => {
    const peer = peerOf('client', { sessionWindowBudgetBytes: 0 });
    const { fed, stream } = await acceptFed(peer);
    stream.resume();
    await waitFor(() => fed.sent() > 32 * 1024 * 1024, '32 MiB through');
    expect(fed.maxCredit()).toBeLessThanOrEqual(INITIAL_STREAM_WINDOW);
  });
});
