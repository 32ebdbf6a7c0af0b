/**
 * Writes frames to the transport. Every frame written in one tick leaves as one transport write
 * (cork until the next tick): with a WebSocket transport that is one message for a whole burst of
 * frames instead of one per frame. Small payloads share the header's buffer; large ones are
 * written as they are, never copied.
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
    if (payload === undefined || payloadLength === 0) {
      const header = Buffer.allocUnsafe(HEADER_LENGTH);
      writeHeader(header, 0, type, flags, streamId, length);
      this.#transport.write(header);
      if (this.#transport.writableNeedDrain) this.#countControl();
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
    this.#transport.uncork();
  };

  #wakeWaiters = (): void => {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  };
}
