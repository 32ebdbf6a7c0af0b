/**
 * Writes frames to the transport. Every frame written in one tick leaves as one transport write
 * (cork until the next tick): with a WebSocket transport that is one message for a whole burst of
 * frames instead of one per frame. Small payloads share the header's buffer; large ones are
 * written as they are, never copied.
 */
import type { Duplex } from 'node:stream';
import { writeHeader } from './encode.ts';
import { HEADER_LENGTH, type FrameType } from './frame.ts';

const SMALL_PAYLOAD_BYTES = 2048;

export class FrameWriter {
  readonly #transport: Duplex;
  #isCorked = false;
  #isClosed = false;
  #waiters: Array<() => void> = [];

  constructor(transport: Duplex) {
    this.#transport = transport;
    transport.on('drain', this.#wakeWaiters);
  }

  write(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void {
    if (this.#isClosed) return;
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.#transport.cork();
      process.nextTick(this.#uncork);
    }
    const payloadLength = payload?.length ?? 0;
    if (payload === undefined || payloadLength === 0) {
      const header = Buffer.allocUnsafe(HEADER_LENGTH);
      writeHeader(header, 0, type, flags, streamId, length);
      this.#transport.write(header);
    } else if (payloadLength <= SMALL_PAYLOAD_BYTES) {
      const frame = Buffer.allocUnsafe(HEADER_LENGTH + payloadLength);
      writeHeader(frame, 0, type, flags, streamId, length);
      payload.copy(frame, HEADER_LENGTH);
      this.#transport.write(frame);
    } else {
      const header = Buffer.allocUnsafe(HEADER_LENGTH);
      writeHeader(header, 0, type, flags, streamId, length);
      this.#transport.write(header);
      this.#transport.write(payload);
    }
  }

  /** Transport backpressure reaches stream writers through their write callbacks. */
  whenWritable(callback: () => void): void {
    if (this.#isClosed || !this.#transport.writableNeedDrain) callback();
    else this.#waiters.push(callback);
  }

  /** Flushes what is queued and half-closes the transport; later writes are dropped. */
  end(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (this.#isCorked) this.#uncork();
    this.#transport.end();
    this.#wakeWaiters();
  }

  /** Drops everything: the transport is being destroyed. */
  close(): void {
    this.#isClosed = true;
    this.#wakeWaiters();
  }

  #uncork = (): void => {
    if (!this.#isCorked) return;
    this.#isCorked = false;
    this.#transport.uncork();
  };

  #wakeWaiters = (): void => {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  };
}
