/**
 * One yamux stream as a Duplex that Node's http client and server accept as a socket (the socket
 * surface is SocketDuplex's).
 *
 * Flow control: the peer may send at most `#receiveWindow` bytes. Bytes are credited back when the
 * reader actually takes them out of the buffer (every `read()`, and pushes that go straight to a
 * 'data' listener), once half the window is free again, as hashicorp/yamux stream.go does: unread
 * plus creditable bytes never exceed the window, so a paused reader holds at most one window.
 * `_read` is no signal: Node calls it before it dequeues, and not again until the next push, which
 * froze full-duplex echoes against peers that send a whole window per frame.
 *
 * The window offered grows (doubling, up to `maxWindowBytes`, within the session's budget) when a
 * reader empties half of it within four round trips, as @chainsafe/libp2p-yamux stream.ts does:
 * on a long link the window, not the reader, is then the limit. A slow reader never grows it.
 * Writers wait for window updates, never poll.
 *
 * Closing mirrors TCP: `end()` sends FIN and the peer sees 'end'; `destroy()` sends FIN too, and
 * data that still arrives afterwards is answered with RST; `destroy(err)` sends RST and the peer
 * sees an error. The table entry goes once both directions are closed.
 */
import { TunnelError } from '../errors.ts';
import { Flag, FrameType, INITIAL_STREAM_WINDOW, hasFlag } from './frame.ts';
import { SocketDuplex } from './socket-duplex.ts';

/** What a stream needs from its session. */
export interface StreamHost {
  readonly peerName: string | undefined;
  /** GoAway sent or received: no new streams; idle pooled ones should go. */
  readonly isClosed: boolean;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void;
  /** Calls back once the transport takes more bytes (at once when it does). */
  whenWritable(callback: () => void): void;
  /** The session's last measured round trip, if any. */
  readonly roundTripMs: number | undefined;
  /** Takes up to `wantedBytes` of extra receive window from the session's budget; returns what it got. */
  reserveWindow(wantedBytes: number): number;
  /** Gives extra receive window back to the session's budget. */
  releaseWindow(bytes: number): void;
  /** Both directions are closed: forget the stream. */
  releaseStream(stream: YamuxStream): void;
}

export interface StreamOptions {
  /** The receive window announced with SYN or ACK. */
  windowBytes: number;
  /** How far the window may grow for a reader that keeps up. */
  maxWindowBytes: number;
  maxFrameBytes: number;
  /** How long a destroyed stream waits for the peer's FIN before resetting. */
  lingerMs: number;
}

type WriteCallback = (error?: Error | null) => void;

export class YamuxStream extends SocketDuplex {
  readonly id: number;
  /** The peer this stream's session belongs to; how the node attributes requests. */
  readonly peerName: string | undefined;
  readonly #host: StreamHost;
  readonly #options: StreamOptions;
  #sendWindow = INITIAL_STREAM_WINDOW;
  /** What the peer may still send. */
  #receiveWindow = INITIAL_STREAM_WINDOW;
  /** The window offered now: unread bytes plus `#receiveWindow` are credited up to it. */
  #windowBytes = INITIAL_STREAM_WINDOW;
  /** When the last window update went out; a reader quicker than 4 round trips grows the window. */
  #epochStartedAt = performance.now();
  #isLocalClosed = false;
  #isRemoteClosed = false;
  #isRemoteFinished = false;
  #isReleased = false;
  #pendingChunk: Buffer | undefined;
  #pendingCallback: WriteCallback | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;

  constructor(id: number, host: StreamHost, options: StreamOptions) {
    super(host, { allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.id = id;
    this.#host = host;
    this.#options = options;
    this.peerName = host.peerName;
  }

  /** The session is closing or closed; an HTTP agent must not keep this stream for reuse. */
  get isSessionClosing(): boolean {
    return this.#host.isClosed;
  }

  /** SYN (we open) or ACK (we accept), granting the peer our full window if above the default. */
  announce(flag: typeof Flag.SYN | typeof Flag.ACK): void {
    const delta = this.#options.windowBytes - INITIAL_STREAM_WINDOW;
    this.#receiveWindow += delta;
    this.#windowBytes += delta;
    this.#epochStartedAt = performance.now();
    this.#host.sendFrame(FrameType.WindowUpdate, flag, this.id, delta);
  }

  /** Applies one inbound Data or WindowUpdate frame; returns a protocol violation, if any. */
  receiveFrame(type: FrameType, flags: number, length: number, payload: Buffer): string | undefined {
    if (hasFlag(flags, Flag.RST)) {
      this.#onRemoteReset();
      return undefined;
    }
    if (type === FrameType.WindowUpdate) {
      if (length > 0) this.#addSendWindow(length);
    } else if (length > 0) {
      if (this.#isRemoteFinished) return `data after FIN on stream ${this.id}`;
      if (length > this.#receiveWindow) {
        return `stream ${this.id} sent ${length} bytes into a window of ${this.#receiveWindow}`;
      }
      this.#receiveWindow -= length;
      if (this.destroyed) {
        // Nobody will read this: tell the peer, as TCP does for data sent to a closed socket.
        this.#reset();
        return undefined;
      }
      this.markActivity();
      this.push(this.#detach(payload));
      // In flowing mode with nothing buffered, push hands the bytes to 'data' at once.
      this.#creditConsumed();
    }
    if (hasFlag(flags, Flag.FIN)) this.#onRemoteFin();
    return undefined;
  }

  /** Turns down a stream the application never saw: RST to the peer, no error event here. */
  refuse(): void {
    this.#reset();
    this.destroy();
  }

  /** The session is gone: fail the stream without sending anything. */
  abandon(error: Error | undefined): void {
    this.#isLocalClosed = true;
    this.#isRemoteClosed = true;
    this.#release();
    this.destroy(error);
  }

  /** Pushes come from receiveFrame; credit follows consumption (see read), not Node's request. */
  override _read(): void {}

  /** Every way bytes leave the buffer (flowing, pipe, paused read, async iteration) goes through here. */
  // `any` is Readable.read's own return type.
  override read(size?: number): any {
    const chunk: unknown = super.read(size);
    this.#creditConsumed();
    return chunk;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.#writeChunk(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    // Node's http writes head and body as separate chunks; one frame for both halves the frames.
    const first = chunks[0]?.chunk;
    const merged = chunks.length === 1 && first !== undefined ? first : Buffer.concat(chunks.map((entry) => entry.chunk));
    this.#writeChunk(merged, callback);
  }

  #writeChunk(chunk: Buffer, callback: WriteCallback): void {
    if (this.#isLocalClosed) {
      callback(new TunnelError('stream_reset', `stream ${this.id} was reset by the peer`));
      return;
    }
    this.markActivity();
    this.#pendingChunk = chunk;
    this.#pendingCallback = callback;
    this.#flush();
  }

  override _final(callback: WriteCallback): void {
    if (!this.#isLocalClosed) {
      this.#isLocalClosed = true;
      this.#host.sendFrame(FrameType.WindowUpdate, Flag.FIN, this.id, 0);
      this.#releaseIfDone();
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopIdleTimer();
    const pending = this.#pendingCallback;
    this.#pendingChunk = undefined;
    this.#pendingCallback = undefined;
    if (error !== null) {
      this.#reset();
    } else if (!this.#isLocalClosed) {
      this.#isLocalClosed = true;
      this.#host.sendFrame(FrameType.WindowUpdate, Flag.FIN, this.id, 0);
    }
    if (!this.#releaseIfDone() && this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => this.#reset(), this.#options.lingerMs);
      this.#lingerTimer.unref();
    }
    pending?.(error ?? new TunnelError('tunnel_closed', `stream ${this.id} destroyed`));
    callback(error);
  }

  #flush(): void {
    let chunk = this.#pendingChunk;
    while (chunk !== undefined && chunk.length > 0 && this.#sendWindow > 0) {
      const size = Math.min(chunk.length, this.#sendWindow, this.#options.maxFrameBytes);
      this.#host.sendFrame(FrameType.Data, 0, this.id, size, size === chunk.length ? chunk : chunk.subarray(0, size));
      this.#sendWindow -= size;
      chunk = size === chunk.length ? undefined : chunk.subarray(size);
    }
    if (chunk !== undefined && chunk.length > 0) {
      this.#pendingChunk = chunk;
      return;
    }
    const callback = this.#pendingCallback;
    this.#pendingChunk = undefined;
    this.#pendingCallback = undefined;
    if (callback !== undefined) this.#host.whenWritable(callback);
  }

  #creditConsumed(): void {
    if (this.#isRemoteClosed || this.destroyed) return;
    let delta = this.#windowBytes - this.#receiveWindow - this.readableLength;
    if (delta < this.#windowBytes / 2) return;
    const now = performance.now();
    const roundTripMs = this.#host.roundTripMs;
    if (roundTripMs !== undefined && now - this.#epochStartedAt <= 4 * roundTripMs && this.#windowBytes < this.#options.maxWindowBytes) {
      const grown = this.#host.reserveWindow(Math.min(this.#windowBytes, this.#options.maxWindowBytes - this.#windowBytes));
      this.#windowBytes += grown;
      delta += grown;
    }
    this.#epochStartedAt = now;
    this.#receiveWindow += delta;
    this.#host.sendFrame(FrameType.WindowUpdate, 0, this.id, delta);
  }

  #addSendWindow(delta: number): void {
    this.#sendWindow += delta;
    if (this.#pendingChunk !== undefined) this.#flush();
  }

  /**
   * A payload is a view into the transport's message. If the reader is behind, the view could pin
   * a large message for a few bytes, so it is copied then; a keeping-up reader gets the view.
   */
  #detach(payload: Buffer): Buffer {
    if (this.readableLength > 0 && payload.buffer.byteLength > 2 * payload.length) return Buffer.from(payload);
    return payload;
  }

  #onRemoteFin(): void {
    if (this.#isRemoteFinished) return;
    this.#isRemoteFinished = true;
    this.#isRemoteClosed = true;
    if (!this.destroyed) this.push(null);
    this.#releaseIfDone();
  }

  #onRemoteReset(): void {
    const isClean = this.#isRemoteFinished && this.writableFinished;
    this.#isLocalClosed = true;
    this.#isRemoteClosed = true;
    this.#release();
    // After both FINs a reset loses nothing (the peer stopped reading); otherwise it is an error.
    if (!isClean && !this.destroyed) {
      this.destroy(new TunnelError('stream_reset', `stream ${this.id} was reset by the peer`));
    }
  }

  #reset(): void {
    if (!this.#isReleased) this.#host.sendFrame(FrameType.WindowUpdate, Flag.RST, this.id, 0);
    this.#isLocalClosed = true;
    this.#isRemoteClosed = true;
    this.#release();
  }

  #releaseIfDone(): boolean {
    if (this.#isLocalClosed && this.#isRemoteClosed) this.#release();
    return this.#isReleased;
  }

  #release(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (this.#isReleased) return;
    this.#isReleased = true;
    const grownBytes = this.#windowBytes - Math.max(this.#options.windowBytes, INITIAL_STREAM_WINDOW);
    if (grownBytes > 0) this.#host.releaseWindow(grownBytes);
    this.#host.releaseStream(this);
  }
}
