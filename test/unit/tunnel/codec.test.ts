import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../src/tunnel/yamux/decode.ts';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { Flag, FrameType, GoAwayCode, type Frame } from '../../../src/tunnel/yamux/frame.ts';
import { seededRandom } from './helpers.ts';

const payload = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);

const table: Array<{ name: string; frame: Frame }> = [
  { name: 'data', frame: { type: FrameType.Data, flags: 0, streamId: 1, length: 5, payload: Buffer.from('hello') } },
  { name: 'data SYN|FIN', frame: { type: FrameType.Data, flags: Flag.SYN | Flag.FIN, streamId: 3, length: 3, payload: payload(3, 7) } },
  { name: 'empty data FIN', frame: { type: FrameType.Data, flags: Flag.FIN, streamId: 2, length: 0, payload: Buffer.alloc(0) } },
  { name: 'large data', frame: { type: FrameType.Data, flags: 0, streamId: 0xffff_fffe, length: 200_000, payload: payload(200_000, 9) } },
  {
    name: 'window update SYN',
    frame: { type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 5, length: 262_144, payload: Buffer.alloc(0) },
  },
  { name: 'window update ACK', frame: { type: FrameType.WindowUpdate, flags: Flag.ACK, streamId: 6, length: 0, payload: Buffer.alloc(0) } },
  { name: 'RST', frame: { type: FrameType.WindowUpdate, flags: Flag.RST, streamId: 7, length: 0, payload: Buffer.alloc(0) } },
  { name: 'ping', frame: { type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: 0xffff_ffff, payload: Buffer.alloc(0) } },
  { name: 'pong', frame: { type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: 42, payload: Buffer.alloc(0) } },
  { name: 'go away', frame: { type: FrameType.GoAway, flags: 0, streamId: 0, length: GoAwayCode.ProtocolError, payload: Buffer.alloc(0) } },
];

/** Comparable summary: deep-equality over 200 KB buffers is needlessly slow. */
const summary = (frames: Frame[]): string[] =>
  frames.map(
    (frame) => `${frame.type}/${frame.flags}/${frame.streamId}/${frame.length}/${createHash('sha1').update(frame.payload).digest('hex')}`,
  );

function decodeChunks(chunks: Buffer[]): { frames: Frame[]; error: string | undefined } {
  const decoder = new FrameDecoder({ maxDataLength: 1024 * 1024 });
  const frames: Frame[] = [];
  let error: string | undefined;
  for (const chunk of chunks) {
    error ??= decoder.push(chunk, (frame) => frames.push({ ...frame, payload: Buffer.from(frame.payload) }))?.reason;
  }
  return { frames, error };
}

describe('yamux codec', () => {
  it.each(table)('round-trips $name', ({ frame }) => {
    const { frames, error } = decodeChunks([encodeFrame(frame, frame.type === FrameType.Data ? frame.payload : undefined)]);
    expect(error).toBeUndefined();
    expect(summary(frames)).toEqual(summary([frame]));
  });

  it('encodes the hashicorp header layout', () => {
    const bytes = encodeFrame({ type: FrameType.WindowUpdate, flags: Flag.SYN | Flag.ACK, streamId: 0x01020304, length: 0x0a0b0c0d });
    expect(bytes.toString('hex')).toBe('00010003010203040a0b0c0d');
  });

  it('gives identical frames whatever the chunking', () => {
    const stream = Buffer.concat(table.map(({ frame }) => encodeFrame(frame, frame.type === FrameType.Data ? frame.payload : undefined)));
    const expected = summary(decodeChunks([stream]).frames);
    expect(expected).toHaveLength(table.length);
    for (let seed = 1; seed <= 100; seed++) {
      const random = seededRandom(seed);
      const chunks: Buffer[] = [];
      for (let offset = 0; offset < stream.length;) {
        // Mostly tiny pieces (headers split mid-field), sometimes large ones.
        const size = random() < 0.5 ? 1 + Math.floor(random() * 20) : 1 + Math.floor(random() * 20_000);
        chunks.push(stream.subarray(offset, offset + size));
        offset += size;
      }
      expect(summary(decodeChunks(chunks).frames), `seed ${seed}`).toEqual(expected);
    }
  });

  it('reports random garbage as a decode error without throwing', () => {
    let errors = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const random = seededRandom(seed);
      const garbage = Buffer.from(Array.from({ length: 64 + Math.floor(random() * 512) }, () => Math.floor(random() * 256)));
      const { error } = decodeChunks([garbage]);
      if (error !== undefined) errors++;
    }
    // Random bytes start with version 0 once in 256; every other case is an immediate error.
    expect(errors).toBeGreaterThan(480);
  });

  it.each([
    ['version 1', '010000000000000100000000', 'unsupported_version'],
    ['type 4', '000400000000000100000000', 'unknown_type'],
    ['oversized data', '000000000000000100200000', 'frame_too_large'],
  ])('rejects %s', (_name, hex, reason) => {
    const decoder = new FrameDecoder({ maxDataLength: 1024 * 1024 });
    expect(decoder.push(Buffer.from(hex, 'hex'), () => {})?.reason).toBe(reason);
    // Once framing is lost, it stays lost.
    expect(decoder.push(encodeFrame(table[0]!.frame, Buffer.from('hello')), () => {})?.reason).toBe(reason);
  });

  it('holds only the incomplete frame between pushes', () => {
    const decoder = new FrameDecoder({ maxDataLength: 1024 * 1024 });
    const bytes = encodeFrame({ type: FrameType.Data, flags: 0, streamId: 1, length: 10 }, payload(10, 1));
    decoder.push(bytes.subarray(0, 15), () => {});
    expect(decoder.bufferedLength).toBe(3);
    const frames: Frame[] = [];
    decoder.push(bytes.subarray(15), (frame) => frames.push(frame));
    expect(frames).toHaveLength(1);
    expect(decoder.bufferedLength).toBe(0);
  });

  it('stops after a frame whose handler returns false and resumes on the next push', () => {
    const random = seededRandom(5);
    const frames = table.map(({ frame }) => encodeFrame(frame, frame.type === FrameType.Data ? frame.payload : undefined));
    const whole = Buffer.concat([...frames, ...frames]);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < whole.length;) {
      const size = 1 + Math.floor(random() * 40_000);
      chunks.push(whole.subarray(offset, offset + size));
      offset += size;
    }
    const decoder = new FrameDecoder({ maxDataLength: 1024 * 1024 });
    const seen: Frame[] = [];
    // Stop after every third frame; each push (even an empty one) decodes up to the next stop.
    const handler = (frame: Frame): boolean => seen.push({ ...frame, payload: Buffer.from(frame.payload) }) % 3 !== 0;
    for (const chunk of chunks) expect(decoder.push(chunk, handler)).toBeUndefined();
    expect(decoder.isHolding).toBe(true);
    while (decoder.isHolding) decoder.push(Buffer.alloc(0), handler);
    expect(summary(seen)).toEqual(summary([...table, ...table].map(({ frame }) => frame)));
    expect(decoder.bufferedLength).toBe(0);
  });
});
