/**
 * Incremental frame decoder. A transport may split or merge frames anywhere (WebSocket messages
 * carry a byte stream, not frames), so partial headers and payloads are kept until complete.
 * Payloads that arrive whole are zero-copy views of the input chunk.
 *
 * Garbage never throws: the first bad header is reported once as a DecodeError and every later
 * push returns the same error, because after one bad header the byte stream has no framing left.
 *
 * A frame handler returning `false` stops decoding after that frame: the rest is held and decoded
 * by the next push (an empty one resumes). The session stops this way the moment answering the
 * peer would overfill its control backlog, not at the end of a 4 MiB message of pings.
 */
import { FrameType, HEADER_LENGTH, YAMUX_VERSION, type Frame } from './frame.ts';

/** Returning exactly `false` stops decoding after this frame; anything else goes on. */
export type FrameHandler = (frame: Frame) => unknown;

export interface DecodeError {
  reason: 'unsupported_version' | 'unknown_type' | 'frame_too_large';
  message: string;
}

const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  readonly #maxDataLength: number;
  readonly #headerBytes = Buffer.alloc(HEADER_LENGTH);
  #headerFilled = 0;
  /** A Data frame whose header is decoded and whose payload is still arriving. */
  #awaiting: Frame | undefined;
  #parts: Buffer[] = [];
  #partsLength = 0;
  #error: DecodeError | undefined;
  /** Input not decoded yet because a handler asked to stop. */
  #held: Buffer[] = [];
  /** The handler of the Data frame just completed asked to stop. */
  #shouldStop = false;

  constructor(options: { maxDataLength: number }) {
    this.#maxDataLength = options.maxDataLength;
  }

  /** Bytes held for an incomplete frame or a stop (for tests and memory accounting). */
  get bufferedLength(): number {
    return this.#headerFilled + this.#partsLength + this.#held.reduce((sum, part) => sum + part.length, 0);
  }

  /** Whether a handler stopped decoding and input is waiting for the next push. */
  get isHolding(): boolean {
    return this.#held.length > 0;
  }

  push(chunk: Buffer, onFrame: FrameHandler): DecodeError | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#held.length === 0) {
      const stoppedAt = this.#decode(chunk, onFrame);
      if (stoppedAt < chunk.length && this.#error === undefined) this.#held.push(chunk.subarray(stoppedAt));
      return this.#error;
    }
    if (chunk.length > 0) this.#held.push(chunk);
    while (this.#held.length > 0 && this.#error === undefined) {
      const next = this.#held.shift() as Buffer;
      const stoppedAt = this.#decode(next, onFrame);
      if (stoppedAt < next.length) {
        this.#held.unshift(next.subarray(stoppedAt));
        break;
      }
    }
    return this.#error;
  }

  /** Decodes `chunk` until its end or a handler's stop; returns the offset reached. */
  #decode(chunk: Buffer, onFrame: FrameHandler): number {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#awaiting === undefined) {
        let source = chunk;
        let start = offset;
        if (this.#headerFilled === 0 && chunk.length - offset >= HEADER_LENGTH) {
          offset += HEADER_LENGTH;
        } else {
          const take = Math.min(HEADER_LENGTH - this.#headerFilled, chunk.length - offset);
          chunk.copy(this.#headerBytes, this.#headerFilled, offset, offset + take);
          this.#headerFilled += take;
          offset += take;
          if (this.#headerFilled < HEADER_LENGTH) break;
          this.#headerFilled = 0;
          source = this.#headerBytes;
          start = 0;
        }
        this.#error = this.#validate(source, start);
        if (this.#error !== undefined) return chunk.length;
        const frame = readHeader(source, start);
        if (frame.type !== FrameType.Data || frame.length === 0) {
          if (onFrame(frame) === false) return offset;
          continue;
        }
        this.#awaiting = frame;
        if (offset === chunk.length) break;
      }
      const isComplete = this.#awaiting.length - this.#partsLength <= chunk.length - offset;
      offset = this.#takePayload(this.#awaiting, chunk, offset, onFrame);
      if (isComplete && this.#shouldStop) {
        this.#shouldStop = false;
        return offset;
      }
    }
    return offset;
  }

  #takePayload(frame: Frame, chunk: Buffer, offset: number, onFrame: FrameHandler): number {
    const needed = frame.length - this.#partsLength;
    const available = chunk.length - offset;
    if (available < needed) {
      this.#parts.push(chunk.subarray(offset));
      this.#partsLength += available;
      return chunk.length;
    }
    const tail = chunk.subarray(offset, offset + needed);
    if (this.#parts.length === 0) {
      frame.payload = tail;
    } else {
      this.#parts.push(tail);
      frame.payload = Buffer.concat(this.#parts, frame.length);
      this.#parts = [];
      this.#partsLength = 0;
    }
    this.#awaiting = undefined;
    this.#shouldStop = onFrame(frame) === false;
    return offset + needed;
  }

  #validate(source: Buffer, offset: number): DecodeError | undefined {
    const version = source[offset] as number;
    if (version !== YAMUX_VERSION) {
      return { reason: 'unsupported_version', message: `yamux version ${version}` };
    }
    const type = source[offset + 1] as number;
    if (type > FrameType.GoAway) {
      return { reason: 'unknown_type', message: `unknown frame type ${type}` };
    }
    const length = source.readUInt32BE(offset + 8);
    if (type === FrameType.Data && length > this.#maxDataLength) {
      return { reason: 'frame_too_large', message: `data frame of ${length} bytes` };
    }
    return undefined;
  }
}

function readHeader(source: Buffer, offset: number): Frame {
  return {
    type: source[offset + 1] as FrameType,
    flags: source.readUInt16BE(offset + 2),
    streamId: source.readUInt32BE(offset + 4),
    length: source.readUInt32BE(offset + 8),
    payload: EMPTY,
  };
}
