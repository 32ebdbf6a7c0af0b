/**
 * Our yamux against @chainsafe/libp2p-yamux 8 over loopback TCP, in both roles. Neither side's
 * bugs can hide behind the other being the same code.
 */
import { createHash } from 'node:crypto';
import { GoAwayCode } from '@chainsafe/libp2p-yamux';
import type { Stream } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import type { YamuxStream } from '../../../../src/tunnel/yamux/stream.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { chunkOf, connectPair, theirRead, theirWrite, type ConformancePair } from './libp2p-peer.ts';

const MiB = 1024 * 1024;
let pairs: ConformancePair[] = [];
afterEach(() => {
  for (const pair of pairs) pair.close();
  pairs = [];
});

async function pairAs(role: 'client' | 'server'): Promise<ConformancePair> {
  const pair = await connectPair(role);
  pairs.push(pair);
  return pair;
}

/** Writes `total` bytes with backpressure and ends the stream; resolves with their sha256. */
async function ourWrite(stream: YamuxStream, seed: number, total: number): Promise<string> {
  const hash = createHash('sha256');
  for (let index = 0, sent = 0; sent < total; index++) {
    const chunk = chunkOf(seed, index, Math.min(64 * 1024, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end();
  return hash.digest('hex');
}

function ourRead(stream: YamuxStream, total = Number.POSITIVE_INFINITY): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const finish = (): void => resolve({ bytes, sha256: hash.digest('hex') });
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes >= total) finish();
    });
    stream.on('end', finish);
    stream.on('error', reject);
  });
}

const nextStream = (pair: ConformancePair): Promise<Stream> =>
  new Promise((resolve) => pair.theirs.addEventListener('stream', (event) => resolve(event.detail), { once: true }));

/** libp2p echo: every message is sent back, with backpressure, and FIN answers FIN. */
function theirEcho(stream: Stream): void {
  stream.addEventListener('message', (event) => {
    if (!stream.send(event.data)) {
      stream.pause();
      void stream.onDrain().then(
        () => stream.resume(),
        () => {},
      );
    }
  });
  stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => {}));
}

describe.each(['client', 'server'] as const)('libp2p-yamux conformance, our session as %s', (role) => {
  it('opens streams from both sides and carries data both ways', async () => {
    const pair = await pairAs(role);
    pair.theirs.addEventListener('stream', (event) => theirEcho(event.detail));
    pair.ours.on('stream', (stream) => stream.pipe(stream));
    const ours = pair.ours.openStream();
    const echoed = ourRead(ours);
    ours.end('from our side');
    expect((await echoed).bytes).toBe('from our side'.length);
    const theirs = await pair.theirs.createStream();
    const reply = theirRead(theirs);
    theirs.send(new TextEncoder().encode('from libp2p'));
    await theirs.close();
    expect(await reply).toEqual({ bytes: 11, sha256: createHash('sha256').update('from libp2p').digest('hex') });
    expect(ours.id % 2).toBe(role === 'client' ? 1 : 0);
    expect(theirs.id).toBe(String(role === 'client' ? 2 : 1));
  });

  it('runs 200 streams opened at once from each side', async () => {
    const pair = await pairAs(role);
    pair.theirs.addEventListener('stream', (event) => theirEcho(event.detail));
    pair.ours.on('stream', (stream) => stream.pipe(stream));
    const fromUs = Array.from({ length: 200 }, async (_, index) => {
      const stream = pair.ours.openStream();
      const reply = ourRead(stream);
      stream.end(`ours ${index}`);
      return (await reply).bytes;
    });
    const theirStreams = await Promise.all(Array.from({ length: 200 }, () => pair.theirs.createStream()));
    const fromThem = theirStreams.map(async (stream, index) => {
      const reply = theirRead(stream);
      stream.send(new TextEncoder().encode(`theirs ${index}`));
      await stream.close();
      return (await reply).bytes;
    });
    expect(await Promise.all(fromUs)).toEqual(Array.from({ length: 200 }, (_, index) => `ours ${index}`.length));
    expect(await Promise.all(fromThem)).toEqual(Array.from({ length: 200 }, (_, index) => `theirs ${index}`.length));
    await waitFor(() => pair.ours.streamCount === 0, 'our stream table to empty');
  });

  it('moves 100 MiB each way at once with matching sha256', async () => {
    const pair = await pairAs(role);
    const theirInbound = nextStream(pair);
    const ourInbound = new Promise<YamuxStream>((resolve) => pair.ours.once('stream', resolve));
    const up = pair.ours.openStream();
    const upSent = ourWrite(up, 1, 100 * MiB);
    const down = await pair.theirs.createStream();
    const downSent = theirWrite(down, 2, 100 * MiB).then(async (sha256) => (await down.close(), sha256));
    const upReceived = theirRead(await theirInbound);
    const downReceived = ourRead(await ourInbound);
    expect(await upReceived).toEqual({ bytes: 100 * MiB, sha256: await upSent });
    expect(await downReceived).toEqual({ bytes: 100 * MiB, sha256: await downSent });
  }, 300_000);

  it('echoes 100 MiB full-duplex through one stream, libp2p echoing', async () => {
    const pair = await pairAs(role);
    pair.theirs.addEventListener('stream', (event) => theirEcho(event.detail));
    const stream = pair.ours.openStream();
    const echoed = ourRead(stream);
    const sent = ourWrite(stream, 3, 100 * MiB);
    expect(await echoed).toEqual({ bytes: 100 * MiB, sha256: await sent });
  }, 300_000);

  it('echoes 100 MiB full-duplex through one stream, we echo with pipe', async () => {
    const pair = await pairAs(role);
    pair.ours.on('stream', (stream) => stream.pipe(stream));
    const stream = await pair.theirs.createStream();
    const echoed = theirRead(stream, 100 * MiB);
    const sent = await theirWrite(stream, 4, 100 * MiB);
    expect(await echoed).toEqual({ bytes: 100 * MiB, sha256: sent });
  }, 300_000);

  it('holds paused readers to the window on both sides', async () => {
    const pair = await pairAs(role);
    // Our reader paused: libp2p may send one window and no more.
    const ourInbound = new Promise<YamuxStream>((resolve) => pair.ours.once('stream', resolve));
    const down = await pair.theirs.createStream();
    void theirWrite(down, 5, 8 * MiB).catch(() => {});
    const reader = await ourInbound;
    reader.pause();
    await waitFor(() => reader.readableLength >= 256 * 1024, 'a window to arrive here');
    await pair.ours.ping();
    await pair.ours.ping();
    expect(reader.readableLength).toBe(256 * 1024);
    // Their reader paused: we may send one window and no more.
    const theirInbound = nextStream(pair);
    const up = pair.ours.openStream();
    up.write(chunkOf(6, 0, 8 * MiB));
    const theirReader = await theirInbound;
    theirReader.pause();
    await waitFor(() => theirReader.readBufferLength >= 256 * 1024, 'a window to arrive there');
    await pair.ours.ping();
    await pair.ours.ping();
    expect(theirReader.readBufferLength).toBe(256 * 1024);
    // Resumed, both finish.
    const rest = ourRead(reader.resume(), 8 * MiB - 0);
    expect((await rest).bytes).toBeGreaterThanOrEqual(8 * MiB - 256 * 1024);
    const theirRest = theirRead(theirReader, 8 * MiB - 256 * 1024);
    theirReader.resume();
    expect((await theirRest).bytes).toBeGreaterThanOrEqual(8 * MiB - 256 * 1024);
  }, 120_000);

  it('carries FIN both ways', async () => {
    const pair = await pairAs(role);
    const theirInbound = nextStream(pair);
    const ours = pair.ours.openStream();
    ours.write('x');
    const theirs = await theirInbound;
    const theirEnd = theirRead(theirs);
    ours.end();
    expect((await theirEnd).bytes).toBe(1);
    const ourEnd = ourRead(ours);
    await theirs.close();
    expect((await ourEnd).bytes).toBe(0);
    await waitFor(() => pair.ours.streamCount === 0, 'the stream to be forgotten here');
  });

  it('carries RST both ways', async () => {
    const pair = await pairAs(role);
    const theirInbound = nextStream(pair);
    const ours = pair.ours.openStream();
    ours.write('x');
    const theirs = await theirInbound;
    const theirClose = new Promise<Error | undefined>((resolve) => theirs.addEventListener('close', (event) => resolve(event.error)));
    ours.on('error', () => {});
    ours.destroy(new Error('abort here'));
    expect(await theirClose).toBeInstanceOf(Error);

    const ourInbound = new Promise<YamuxStream>((resolve) => pair.ours.once('stream', resolve));
    const second = await pair.theirs.createStream();
    second.send(new Uint8Array([1]));
    const accepted = await ourInbound;
    const ourError = new Promise<Error>((resolve) => accepted.once('error', resolve));
    second.abort(new Error('abort there'));
    expect(await ourError).toMatchObject({ code: 'stream_reset' });
    await waitFor(() => pair.ours.streamCount === 0, 'both streams to be forgotten here');
  });

  it('answers pings both ways', async () => {
    const pair = await pairAs(role);
    expect(await pair.ours.ping(10_000)).toBeGreaterThanOrEqual(0);
    expect(await pair.theirs.ping()).toBeGreaterThanOrEqual(0);
  });

  it('keeps the session after their normal GoAway, and refuses new streams', async () => {
    const pair = await pairAs(role);
    pair.theirs.addEventListener('stream', (event) => theirEcho(event.detail));
    const stream = pair.ours.openStream();
    const echoed = ourRead(stream);
    stream.write('before');
    await waitFor(() => pair.theirs.streams.length === 1, 'their stream');
    const goaway = new Promise<void>((resolve) => pair.ours.once('goaway', resolve));
    let closeError: Error | undefined | 'open' = 'open';
    pair.ours.once('close', (error) => (closeError = error));
    // libp2p closes its streams gracefully (FIN) before the GoAway.
    await pair.theirs.close();
    await goaway;
    expect(() => pair.ours.openStream()).toThrow(expect.objectContaining({ code: 'remote_goaway' }));
    expect((await echoed).bytes).toBe('before'.length);
    stream.end();
    await pair.ours.ping(10_000);
    expect(closeError).toBe('open');
  });

  it.each([
    ['protocol error', GoAwayCode.ProtocolError],
    ['internal error', GoAwayCode.InternalError],
    ['an unknown code', 77 as GoAwayCode],
  ])('ends the session on their GoAway with %s', async (_name, reason) => {
    const pair = await pairAs(role);
    const stream = pair.ours.openStream();
    const streamError = new Promise<Error>((resolve) => stream.once('error', resolve));
    stream.write('x');
    await waitFor(() => pair.theirs.streams.length === 1, 'their stream');
    const closed = new Promise<Error | undefined>((resolve) => pair.ours.once('close', resolve));
    // libp2p-yamux 8.0.1 abort() sends GoAway 0 whatever the error; close({ reason }) sends the code.
    await pair.theirs.close({ reason });
    expect(await closed).toMatchObject({ code: 'remote_goaway' });
    expect(await streamError).toMatchObject({ code: 'remote_goaway' });
  });

  it('sends a normal GoAway on close, which libp2p honours', async () => {
    const pair = await pairAs(role);
    await pair.ours.close();
    await waitFor(() => pair.theirs.status !== 'open', 'libp2p to see the end');
    await expect(pair.theirs.createStream()).rejects.toThrow();
  });
});
