/**
 * Writes frames to the transport. Every frame written in one tick leaves as one transport write
 * (cork until the next tick): with a WebSocket transport that is one message for a whole burst of
 * frames instead of one per frame. Headers and small payloads are packed into shared batch buffers
 * (one transport write per 16 KiB of them, not one per frame: a burst of window updates or pongs
 * costs bytes, not objects); large payloads are written as they are, never copied.
 *
 * Stream data waits for the transport (whenWritable), but control frames answer what the peer
 * sends (pong per ping, window update, ACK, RST) and cannot wait. A peer that floods pings and
 * never reads would grow that queue without end, so control bytes written while the transport
 * needs a drain are counted; past `maxControlBacklogBytes` the writer reports congestion (the
 * session stops reading the peer) until the transport drains.
 */
import type { Duplex } from 'node:stream';
import { writeHeader } from './encode.ts';
import { HEADER_LENGTH, type FrameType } from './frame.ts';

const SMALL_PAYLOAD_BYTES = 2048;
const BATCH_BYTES = 16 * 1024;

export interface FrameWriterOptions {
  maxControlBacklogBytes: number;
  /** Control frames are piling up behind a transport the peer does not drain. */
  onCongested(): void;
  /** The transport drained after congestion. */
  onRelieved(): void;
}

export class FrameWriter {
  readonly #transport: Duplex;
  readonly #options: FrameWriterOptions;
  #isCorked = false;
  #isClosed = false;
  #isCongested = false;
  #controlBacklogBytes = 0;
  /** Where the next small frame goes; what is before `#batchUsed` is not written yet. */
  #batch: Buffer | undefined;
  #batchUsed = 0;
  #waiters: Array<() => void> = [];

  constructor(transport: Duplex, options: FrameWriterOptions) {
    this.#transport = transport;
    this.#options = options;
    transport.on('drain', this.#onDrain);
  }

  get isCongested(): boolean {
    return this.#isCongested;
  }

  write(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void {
    if (this.#isClosed) return;
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.#transport.cork();
      process.nextTick(this.#uncork);
    }
    const payloadLength = payload?.length ?? 0;
    const isSmall = payload === undefined || payloadLength <= SMALL_PAYLOAD_BYTES;
    const target = this.#reserve(HEADER_LENGTH + (isSmall ? payloadLength : 0));
    writeHeader(target, this.#batchUsed, type, flags, streamId, length);
    this.#batchUsed += HEADER_LENGTH;
    if (!isSmall) {
      this.#flushBatch();
      this.#transport.write(payload);
      return;
    }
    if (payload !== undefined && payloadLength > 0) {
      payload.copy(target, this.#batchUsed);
      this.#batchUsed += payloadLength;
    } else if (this.#transport.writableNeedDrain) {
      this.#countControl();
    }
  }

  /** The batch buffer with room for `bytes` more, flushing a full one first. */
  #reserve(bytes: number): Buffer {
    if (this.#batch !== undefined && this.#batch.length - this.#batchUsed >= bytes) return this.#batch;
    this.#flushBatch();
    if (this.#batch === undefined || this.#batch.length < bytes) this.#batch = Buffer.allocUnsafe(Math.max(BATCH_BYTES, bytes));
    return this.#batch;
  }

  /** Writes the filled part of the batch; the rest of its buffer is used for the next frames. */
  #flushBatch(): void {
    const batch = this.#batch;
    if (batch === undefined || this.#batchUsed === 0) return;
    const filled = batch.subarray(0, this.#batchUsed);
    this.#batch = batch.length - this.#batchUsed >= HEADER_LENGTH ? batch.subarray(this.#batchUsed) : undefined;
    this.#batchUsed = 0;
    this.#transport.write(filled);
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
    this.#flushBatch();
    this.#transport.end();
    this.#wakeWaiters();
  }

  /** Drops everything: the transport is being destroyed. */
  close(): void {
    this.#isClosed = true;
    this.#wakeWaiters();
  }

  #countControl(): void {
    this.#controlBacklogBytes += HEADER_LENGTH;
    if (this.#isCongested || this.#controlBacklogBytes <= this.#options.maxControlBacklogBytes) return;
    this.#isCongested = true;
    this.#options.onCongested();
  }

  #onDrain = (): void => {
    this.#controlBacklogBytes = 0;
    if (this.#isCongested && !this.#isClosed) {
      this.#isCongested = false;
      this.#options.onRelieved();
    }
    this.#wakeWaiters();
  };

  #uncork = (): void => {
    if (!this.#isCorked) return;
    this.#isCorked = false;
    this.#flushBatch();
    this.#transport.uncork();
  };

  #wakeWaiters = (): void => {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  };
}
