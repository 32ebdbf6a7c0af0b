import { afterEach, describe, expect, it } from 'vitest';
import { TunnelError } from '../../../src/tunnel/errors.ts';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { FrameDecoder } from '../../../src/tunnel/yamux/decode.ts';
import { Flag, FrameType, GoAwayCode, type Frame } from '../../../src/tunnel/yamux/frame.ts';
import { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import type { YamuxStream } from '../../../src/tunnel/yamux/stream.ts';
import { MemoryLink, readAll, sessionPair } from './helpers.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const open: YamuxSession[] = [];
afterEach(() => {
  for (const session of open.splice(0)) session.destroy();
});

function pair(options: Parameters<typeof sessionPair>[0] = {}) {
  const created = sessionPair(options);
  open.push(created.client, created.server);
  return created;
}

/** One real session facing a hand-driven peer that sees raw frames. */
function rawPeer(role: 'client' | 'server' = 'client') {
  const link = new MemoryLink();
  const session = new YamuxSession(link.left, { role });
  open.push(session);
  const received: Frame[] = [];
  const decoder = new FrameDecoder({ maxDataLength: 16 * 1024 * 1024 });
  link.right.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => received.push({ ...frame })));
  // Like a socket: the end of one direction is answered by the end of the other.
  link.right.on('end', () => link.right.end());
  const send = (frame: Omit<Frame, 'payload'>, payload?: Buffer): void => {
    link.right.write(encodeFrame(frame, payload));
  };
  return { session, received, send, link };
}

const closeError = (session: YamuxSession): Promise<Error | undefined> => new Promise((resolve) => session.once('close', resolve));

describe('yamux session', () => {
  it('opens streams from either side and carries data both ways', async () => {
    const { client, server } = pair();
    server.on('stream', (stream) => stream.pipe(stream));
    client.on('stream', (stream) => stream.end('from the client side'));
    const up = client.openStream();
    up.end('ping through');
    expect((await readAll(up)).toString()).toBe('ping through');
    const down = server.openStream();
    down.end();
    expect((await readAll(down)).toString()).toBe('from the client side');
    expect(up.id % 2).toBe(1);
    expect(down.id % 2).toBe(0);
    await waitFor(() => client.streamCount === 0 && server.streamCount === 0, 'stream tables to empty');
  });

  it('opens, sends and half-closes with one SYN|FIN data frame', async () => {
    const { session, send, received } = rawPeer('client');
    const accepted = new Promise<YamuxStream>((resolve) => session.once('stream', resolve));
    send({ type: FrameType.Data, flags: Flag.SYN | Flag.FIN, streamId: 2, length: 5 }, Buffer.from('hello'));
    const stream = await accepted;
    expect((await readAll(stream)).toString()).toBe('hello');
    stream.end();
    await waitFor(() => session.streamCount === 0, 'stream released');
    await waitFor(() => received.some((frame) => frame.streamId === 2 && (frame.flags & Flag.FIN) !== 0), 'FIN');
    expect(received.some((frame) => frame.streamId === 2 && (frame.flags & Flag.ACK) !== 0)).toBe(true);
  });

  it('maps destroy(err) to RST and the peer sees an error', async () => {
    const { client, server } = pair();
    const accepted = new Promise<YamuxStream>((resolve) => server.once('stream', resolve));
    const stream = client.openStream();
    stream.write('x');
    const remote = await accepted;
    const failed = new Promise<Error>((resolve) => remote.once('error', resolve));
    stream.on('error', () => {});
    stream.destroy(new Error('abort'));
    expect((await failed) as TunnelError).toMatchObject({ code: 'stream_reset' });
    await waitFor(() => client.streamCount === 0 && server.streamCount === 0, 'stream tables to empty');
  });

  it('keeps a paused reader to one window and resumes without loss', async () => {
    const { client, server } = pair();
    const accepted = new Promise<YamuxStream>((resolve) => server.once('stream', resolve));
    const writer = client.openStream();
    const total = 4 * 1024 * 1024;
    let written = 0;
    const pump = (): void => {
      while (written < total) {
        const chunk = Buffer.alloc(64 * 1024, written / (64 * 1024));
        written += chunk.length;
        if (!writer.write(chunk)) return void writer.once('drain', pump);
      }
      writer.end();
    };
    pump();
    const reader = await accepted;
    reader.pause();
    await waitFor(() => reader.readableLength >= 256 * 1024, 'one window to arrive');
    // Two round trips: every frame the writer could send has arrived by now.
    await client.ping();
    await client.ping();
    expect(reader.readableLength).toBe(256 * 1024);
    expect(written).toBeLessThan(total);
    reader.end();
    const body = await readAll(reader.resume());
    expect(body.length).toBe(total);
    expect(body[total - 1]).toBe((total / (64 * 1024) - 1) & 0xff);
  });

  it('answers a data frame beyond the window with a protocol-error GoAway', async () => {
    const { session, send, received } = rawPeer('client');
    session.on('stream', (stream) => stream.on('error', () => {}));
    const closed = closeError(session);
    send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 2, length: 0 });
    send({ type: FrameType.Data, flags: 0, streamId: 2, length: 300_000 }, Buffer.alloc(300_000));
    expect(await closed).toMatchObject({ code: 'protocol_error' });
    await waitFor(() => received.some((frame) => frame.type === FrameType.GoAway), 'GoAway');
    expect(received.find((frame) => frame.type === FrameType.GoAway)?.length).toBe(GoAwayCode.ProtocolError);
  });

  it.each([
    ['a stream frame on stream 0', { type: FrameType.Data, flags: 0, streamId: 0, length: 0 }],
    ['a SYN with the wrong parity', { type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 3, length: 0 }],
  ] as const)('treats %s as a protocol error', async (_name, frame) => {
    const { session, send, received } = rawPeer('client');
    const closed = closeError(session);
    send(frame);
    expect(await closed).toMatchObject({ code: 'protocol_error' });
    await waitFor(() => received.some((sent) => sent.type === FrameType.GoAway && sent.length === GoAwayCode.ProtocolError), 'GoAway');
  });

  it('survives garbage with a protocol-error GoAway', async () => {
    const { session, link, received } = rawPeer('server');
    const closed = closeError(session);
    link.right.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect(await closed).toMatchObject({ code: 'protocol_error' });
    await waitFor(() => received.some((frame) => frame.type === FrameType.GoAway), 'GoAway');
  });

  it('resets inbound streams beyond the accept backlog', async () => {
    const { session, send, received } = rawPeer('client');
    for (let index = 0; index < 300; index++) send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 2 + 2 * index, length: 0 });
    await waitFor(() => received.filter((frame) => frame.flags === Flag.RST).length === 44, '44 resets');
    expect(session.streamCount).toBe(256);
    expect(received.some((frame) => frame.flags === Flag.ACK)).toBe(false);
    const accepted: YamuxStream[] = [];
    session.on('stream', (stream) => accepted.push(stream.on('error', () => {})));
    await waitFor(() => accepted.length === 256, 'backlog accepted');
    await waitFor(() => received.filter((frame) => frame.flags === Flag.ACK).length === 256, 'ACKs');
  });

  it('resets streams still in the backlog when it closes', async () => {
    const { session, send, received } = rawPeer('client');
    send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 2, length: 0 });
    await waitFor(() => session.streamCount === 1, 'the SYN');
    const closing = session.close();
    await waitFor(() => received.some((frame) => frame.streamId === 2 && frame.flags === Flag.RST), 'RST for the unaccepted stream');
    expect(received.find((frame) => frame.type === FrameType.GoAway)?.length).toBe(GoAwayCode.Normal);
    await closing;
  });

  it('refuses to open beyond maxStreams', () => {
    const { client } = pair({ maxStreams: 2 });
    client.openStream().on('error', () => {});
    client.openStream().on('error', () => {});
    expect(() => client.openStream()).toThrow(expect.objectContaining({ code: 'too_many_streams' }));
  });

  it('declares a frozen peer dead within ping interval plus timeout', async () => {
    const { client, server, link } = pair({ keepaliveIntervalMs: 50, keepaliveTimeoutMs: 100 });
    server.on('stream', (stream) => stream.on('error', () => {}));
    const stream = client.openStream();
    const streamError = new Promise<Error>((resolve) => stream.once('error', resolve));
    await client.ping();
    link.isFrozen = true;
    const closed = await closeError(client);
    expect(closed).toMatchObject({ code: 'keepalive_timeout' });
    expect(await streamError).toMatchObject({ code: 'keepalive_timeout' });
  });

  it('closes with GoAway, is safe to close three times, and refuses new streams', async () => {
    const { client, server } = pair();
    const remoteGoAway = new Promise<void>((resolve) => server.once('goaway', resolve));
    await Promise.all([client.close(), client.close(), client.close()]);
    await client.close();
    client.destroy();
    await remoteGoAway;
    expect(() => client.openStream()).toThrow(TunnelError);
    await server.closed();
  });

  it('lets an open stream finish before a graceful close completes', async () => {
    const { client, server } = pair();
    server.on('stream', (stream) => stream.pipe(stream));
    const stream = client.openStream();
    stream.write('first');
    const closing = client.close();
    stream.end('+last');
    expect((await readAll(stream)).toString()).toBe('first+last');
    await closing;
  });
});

describe('yamux stream as a socket', () => {
  it('offers the net.Socket surface Node http uses', async () => {
    const link = new MemoryLink();
    const session = new YamuxSession(link.left, { role: 'client', peerName: 'bob', remoteAddress: '192.0.2.7', remotePort: 4242 });
    const peer = new YamuxSession(link.right, { role: 'server' });
    open.push(session, peer);
    const stream = session.openStream();
    expect(stream.setNoDelay(true).setKeepAlive(true, 1000).ref().unref()).toBe(stream);
    expect([stream.remoteAddress, stream.remotePort, stream.peerName, stream.connecting]).toEqual(['192.0.2.7', 4242, 'bob', false]);
    let timeouts = 0;
    stream.setTimeout(20, () => timeouts++);
    expect(stream.timeout).toBe(20);
    await waitFor(() => timeouts === 1, "'timeout' after 20 ms idle");
    stream.setTimeout(0);
    expect(stream.timeout).toBeUndefined();
    stream.destroy();
  });
});
