/**
 * Replays of hashicorp/yamux v0.1.2 at the frame level (stream.go, session.go), as a Go peer with
 * `MaxStreamWindowSize = 512 KiB` behaves:
 * - opening a stream is a WindowUpdate with SYN announcing its window: delta 512 KiB - 256 KiB;
 *   accepting one is the same with ACK;
 * - ids are allocated in order, but each SYN is sent from its caller's goroutine, so concurrent
 *   opens put SYNs on the wire in any order;
 * - Write sends one Data frame of min(send window, len(b)): a whole window per frame;
 * - Read credits `(max - buffered) - recvWindow` once that is at least max/2;
 * - pings are answered with the same opaque value.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { Flag, FrameType, INITIAL_STREAM_WINDOW, type Frame } from '../../../src/tunnel/yamux/frame.ts';
import type { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import type { YamuxStream } from '../../../src/tunnel/yamux/stream.ts';
import { seededRandom } from './helpers.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { rawPeer, tcpPair, type RawPeer } from './raw-peer.ts';

const GO_WINDOW = 512 * 1024;
const open: YamuxSession[] = [];
afterEach(() => {
  for (const session of open.splice(0)) session.destroy();
});

function goPeer(role: 'client' | 'server', link?: RawPeer['link']): RawPeer {
  const peer = rawPeer(role, {}, link);
  open.push(peer.session);
  peer.onFrame = (frame) => answerPing(peer, frame);
  return peer;
}

function answerPing(peer: RawPeer, frame: Frame): void {
  if (frame.type === FrameType.Ping && (frame.flags & Flag.SYN) !== 0) {
    peer.send({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: frame.length });
  }
}

/** Ids of the peer's parity: our client role accepts even ids, our server role odd ones. */
const peerIds = (role: 'client' | 'server', count: number): number[] =>
  Array.from({ length: count }, (_, index) => (role === 'client' ? 2 : 1) + 2 * index);

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

describe.each(['client', 'server'] as const)('hashicorp/yamux replay, our session as %s', (role) => {
  it('accepts 200 SYNs that arrive in shuffled id order', async () => {
    const peer = goPeer(role);
    peer.session.on('stream', (stream) => stream.on('error', () => {}).pipe(stream));
    const ids = shuffle(peerIds(role, 200), seededRandom(11));
    for (const id of ids) {
      peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: GO_WINDOW - INITIAL_STREAM_WINDOW });
      peer.send(
        { type: FrameType.Data, flags: Flag.FIN, streamId: id, length: 8 },
        Buffer.from(`id ${String(id).padStart(5, '0')}`.slice(-8)),
      );
    }
    const finished = (): Set<number> =>
      new Set(peer.received.filter((frame) => (frame.flags & Flag.FIN) !== 0).map((frame) => frame.streamId));
    await waitFor(() => finished().size === 200, '200 echoed streams to finish');
    expect(peer.received.some((frame) => frame.type === FrameType.GoAway)).toBe(false);
    const acked = new Set(
      peer.received.filter((frame) => (frame.flags & Flag.ACK) !== 0 && frame.type !== FrameType.Ping).map((frame) => frame.streamId),
    );
    expect([...acked].sort((a, b) => a - b)).toEqual(peerIds(role, 200));
    const echoed = peer.received.filter((frame) => frame.type === FrameType.Data && frame.length === 8);
    expect(echoed.map((frame) => frame.payload.toString()).sort()).toEqual(
      ids.map((id) => `id ${String(id).padStart(5, '0')}`.slice(-8)).sort(),
    );
    expect(peer.session.isClosed).toBe(false);
  });

  it('refuses a SYN for an id that is open, but accepts a closed id again', async () => {
    const peer = goPeer(role);
    const accepted: YamuxStream[] = [];
    peer.session.on('stream', (stream) => accepted.push(stream.on('error', () => {})));
    const [id] = peerIds(role, 1) as [number];
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    await waitFor(() => accepted.length === 1, 'the stream');
    accepted[0]?.destroy(new Error('done with it'));
    await waitFor(() => peer.session.streamCount === 0, 'the reset stream to be forgotten');
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    await waitFor(() => accepted.length === 2, 'the same id accepted again');
    const closed = new Promise<Error | undefined>((resolve) => peer.session.once('close', resolve));
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    expect(await closed).toMatchObject({ code: 'protocol_error' });
  });

  it('echoes 100 MiB full-duplex through one stream fed a whole window per frame, over TCP', async () => {
    const tcp = await tcpPair();
    const peer = goPeer(role, tcp);
    onTestFinished(() => tcp.close());
    peer.session.on('stream', (stream) => stream.on('error', () => {}).pipe(stream));
    const [id] = peerIds(role, 1) as [number];
    const total = 100 * 1024 * 1024;
    const sentHash = createHash('sha256');
    const echoHash = createHash('sha256');
    let sent = 0;
    let echoed = 0;
    let sendWindow = INITIAL_STREAM_WINDOW;
    let receiveWindow = GO_WINDOW;
    const pump = (): void => {
      // Data follows the SYN at once (hashicorp does not wait for the ACK), written 1 MiB at a
      // time; stream.go Write sends one frame of min(window, len(b)).
      while (sent < total && sendWindow > 0) {
        const size = Math.min(sendWindow, total - sent, 1024 * 1024);
        const payload = Buffer.alloc(size, (sent / 4096) & 0xff);
        payload.writeUInt32BE(sent >>> 0, 0);
        sentHash.update(payload);
        sendWindow -= size;
        sent += size;
        peer.send({ type: FrameType.Data, flags: sent === total ? Flag.FIN : 0, streamId: id, length: size }, payload);
      }
    };
    peer.onFrame = (frame) => {
      answerPing(peer, frame);
      if (frame.streamId !== id) return;
      if (frame.type === FrameType.WindowUpdate) {
        sendWindow += frame.length;
        pump();
      } else if (frame.length > 0) {
        echoHash.update(frame.payload);
        echoed += frame.length;
        receiveWindow -= frame.length;
        unread += frame.length;
        // The Go reader is another goroutine: it reads (and credits) a little later, while the
        // writer goes on sending, so our echo meets a full window now and then.
        readerTimer ??= setTimeout(readLater, 1);
      }
    };
    let unread = 0;
    let readerTimer: NodeJS.Timeout | undefined;
    const readLater = (): void => {
      readerTimer = undefined;
      unread = 0;
      // stream.go sendWindowUpdate after Read: (max - buffered) - recvWindow, once >= max/2.
      const delta = GO_WINDOW - unread - receiveWindow;
      if (delta >= GO_WINDOW / 2) {
        receiveWindow += delta;
        peer.send({ type: FrameType.WindowUpdate, flags: 0, streamId: id, length: delta });
      }
    };
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: GO_WINDOW - INITIAL_STREAM_WINDOW });
    pump();
    await waitFor(() => echoed === total, { message: `the echo of ${total} bytes`, timeoutMs: 120_000 });
    expect(echoHash.digest('hex')).toBe(sentHash.digest('hex'));
    await waitFor(() => peer.received.some((frame) => frame.streamId === id && (frame.flags & Flag.FIN) !== 0), 'our FIN');
  }, 180_000);

  it('holds a paused reader to one window of whole-window frames, then credits what it reads', async () => {
    const peer = goPeer(role);
    const accepted = new Promise<YamuxStream>((resolve) => peer.session.once('stream', resolve));
    const [id] = peerIds(role, 1) as [number];
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: GO_WINDOW - INITIAL_STREAM_WINDOW });
    peer.send({ type: FrameType.Data, flags: 0, streamId: id, length: INITIAL_STREAM_WINDOW }, Buffer.alloc(INITIAL_STREAM_WINDOW, 1));
    const stream = (await accepted).on('error', () => {});
    stream.pause();
    await waitFor(() => stream.readableLength === INITIAL_STREAM_WINDOW, 'the whole window');
    await peer.session.ping();
    const credits = (): number =>
      peer.received
        .filter((frame) => frame.streamId === id && frame.type === FrameType.WindowUpdate)
        .reduce((sum, frame) => sum + frame.length, 0);
    expect(credits()).toBe(0);
    // One byte more than the window is a protocol error.
    expect(stream.read(INITIAL_STREAM_WINDOW / 2 - 1)).not.toBeNull();
    await peer.session.ping();
    expect(credits()).toBe(0);
    expect(stream.read(1)).not.toBeNull();
    await waitFor(() => credits() >= INITIAL_STREAM_WINDOW / 2, 'credit for the half window read');
    // The credit is the half read, plus whatever the window grew by (a quick reader grows it).
    const credited = credits();
    peer.send({ type: FrameType.Data, flags: 0, streamId: id, length: credited }, Buffer.alloc(credited, 2));
    await waitFor(() => stream.readableLength === INITIAL_STREAM_WINDOW / 2 + credited, 'the window full again');
    await peer.session.ping();
    expect(credits()).toBe(credited);
    expect(peer.session.isClosed).toBe(false);
  });

  it('credits a whole-window frame that a paused reader takes after resuming', async () => {
    const peer = goPeer(role);
    const accepted = new Promise<YamuxStream>((resolve) => peer.session.once('stream', resolve));
    const [id] = peerIds(role, 1) as [number];
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: GO_WINDOW - INITIAL_STREAM_WINDOW });
    const stream = (await accepted).on('error', () => {});
    // Backpressure, as stream.pipe(stream) applies it: paused when the frame arrives.
    stream.pause();
    peer.send({ type: FrameType.Data, flags: 0, streamId: id, length: INITIAL_STREAM_WINDOW }, Buffer.alloc(INITIAL_STREAM_WINDOW, 3));
    await waitFor(() => stream.readableLength === INITIAL_STREAM_WINDOW, 'the whole window');
    let read = 0;
    stream.on('data', (chunk: Buffer) => (read += chunk.length));
    stream.resume();
    const credits = (): number =>
      peer.received
        .filter((frame) => frame.streamId === id && frame.type === FrameType.WindowUpdate && (frame.flags & Flag.ACK) === 0)
        .reduce((sum, frame) => sum + frame.length, 0);
    await waitFor(() => read === INITIAL_STREAM_WINDOW && credits() >= INITIAL_STREAM_WINDOW, 'the window credited back');
  });

  it('uses window updates that arrive before the data they credit, and no more', async () => {
    const peer = goPeer(role);
    const stream = peer.session.openStream();
    stream.on('error', () => {});
    const extra = 1024 * 1024;
    // The Go side accepts with ACK announcing 512 KiB and, its reader idle, credits 1 MiB more
    // before any of our data has arrived.
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.ACK, streamId: stream.id, length: GO_WINDOW - INITIAL_STREAM_WINDOW });
    peer.send({ type: FrameType.WindowUpdate, flags: 0, streamId: stream.id, length: extra });
    await peer.session.ping();
    stream.write(Buffer.alloc(4 * 1024 * 1024, 7));
    const dataBytes = (): number =>
      peer.received
        .filter((frame) => frame.streamId === stream.id && frame.type === FrameType.Data)
        .reduce((sum, frame) => sum + frame.length, 0);
    await waitFor(() => dataBytes() === GO_WINDOW + extra, 'the credited bytes');
    await peer.session.ping();
    expect(dataBytes()).toBe(GO_WINDOW + extra);
    peer.send({ type: FrameType.WindowUpdate, flags: 0, streamId: stream.id, length: 4 * 1024 * 1024 });
    await waitFor(() => dataBytes() === 4 * 1024 * 1024, 'the rest');
  });
});
