/**
 * A yamux session over any byte Duplex (a WebSocket in production). Owns the stream table,
 * dispatches inbound frames, answers pings, and turns every protocol violation into a GoAway
 * with the matching code followed by teardown; nothing a peer sends can throw out of here.
 *
 * The WebSocket acceptor is the yamux client (odd stream ids), the connector the server (even);
 * either side opens streams. Inbound ids need only be of the peer's parity and not open: hashicorp
 * allocates ids in order but sends SYNs from concurrent goroutines, so they arrive in any order.
 *
 * A peer that does not drain our side gets no more reading from us (FrameWriter's congestion):
 * every frame it sends may cost a control frame back, and those must not pile up.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../lib/index.ts';
import { TunnelError } from '../errors.ts';
import { silentLogger, type TunnelLogger } from '../logger.ts';
import { FrameDecoder } from './decode.ts';
import { Flag, FrameType, GoAwayCode, MAX_UINT32, hasFlag, type Frame } from './frame.ts';
import { FrameWriter } from './frame-writer.ts';
import { Keepalive } from './keepalive.ts';
import { YamuxStream, type StreamHost } from './stream.ts';
import { resolveSessionOptions, type ResolvedSessionOptions, type SessionOptions } from './session-options.ts';

const EMPTY = Buffer.alloc(0);

export interface SessionEvents {
  /** An inbound stream, already acknowledged. */
  stream: [stream: YamuxStream];
  /** This side started closing, or the peer sent GoAway: no new streams from now on. */
  goaway: [];
  close: [error: Error | undefined];
}

export class YamuxSession extends EventEmitter<SessionEvents> implements StreamHost {
  readonly role: 'client' | 'server';
  readonly peerName: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly #options: ResolvedSessionOptions;
  readonly #logger: TunnelLogger;
  readonly #transport: Duplex;
  readonly #writer: FrameWriter;
  readonly #decoder: FrameDecoder;
  readonly #keepalive: Keepalive;
  readonly #streams = new Map<number, YamuxStream>();
  /** Inbound streams received while nobody listens for 'stream'; not acknowledged yet. */
  #backlog: YamuxStream[] = [];
  #nextStreamId: number;
  /** Receive window granted beyond streamWindowBytes, over all streams. */
  #grownWindowBytes = 0;
  #isGoingAway = false;
  #isRemoteGoAway = false;
  #isDestroyed = false;
  #onDrained: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  readonly #closed: Promise<void>;
  #markClosed!: () => void;

  constructor(transport: Duplex, options: SessionOptions) {
    super();
    this.#options = resolveSessionOptions(options);
    this.role = options.role;
    this.peerName = options.peerName;
    this.remoteAddress = options.remoteAddress;
    this.remotePort = options.remotePort;
    this.#logger = options.logger ?? silentLogger;
    this.#transport = transport;
    this.#nextStreamId = options.role === 'client' ? 1 : 2;
    this.#writer = new FrameWriter(transport, {
      maxControlBacklogBytes: this.#options.maxControlBacklogBytes,
      onCongested: () => {
        this.#logger.warn({ peer: this.peerName }, 'peer is not reading the tunnel; pausing reads from it');
        transport.pause();
      },
      onRelieved: () => {
        if (this.#isDestroyed) return;
        // Input the decoder held when it stopped comes first, then the transport again.
        this.#onData(EMPTY);
        if (!this.#writer.isCongested) transport.resume();
      },
    });
    // A stream's window may grow to maxStreamWindowBytes and a peer may fill it in one frame.
    this.#decoder = new FrameDecoder({ maxDataLength: this.#options.maxStreamWindowBytes });
    this.#keepalive = new Keepalive({
      intervalMs: this.#options.keepaliveIntervalMs,
      timeoutMs: this.#options.keepaliveTimeoutMs,
      sendPing: (opaque) => this.#writer.write(FrameType.Ping, Flag.SYN, 0, opaque),
      onDead: () => this.destroy(new TunnelError('keepalive_timeout', 'peer did not answer a ping in time')),
    });
    this.#closed = new Promise((resolve) => (this.#markClosed = resolve));
    // The typed emitter does not list 'newListener'; a backlog waits for the first 'stream' listener.
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'stream' && this.#backlog.length > 0) queueMicrotask(() => this.#acceptBacklog());
    });
    transport.on('data', this.#onData);
    transport.on('end', () => this.#onTransportGone(undefined));
    transport.on('close', () => this.#onTransportGone(undefined));
    transport.on('error', (error) => this.#onTransportGone(error));
    if (transport.destroyed) queueMicrotask(() => this.#onTransportGone(undefined));
    this.#keepalive.start();
  }

  /** No new streams either way: closing, closed, or the peer sent GoAway. */
  get isClosed(): boolean {
    return this.#isDestroyed || this.#isGoingAway || this.#isRemoteGoAway;
  }

  /** Open streams, including those waiting in the accept backlog. */
  get streamCount(): number {
    return this.#streams.size;
  }

  streams(): IterableIterator<YamuxStream> {
    return this.#streams.values();
  }

  openStream(): YamuxStream {
    if (this.#isDestroyed || this.#isGoingAway) throw new TunnelError('tunnel_closed', 'tunnel is closed');
    if (this.#isRemoteGoAway) throw new TunnelError('remote_goaway', 'peer is closing the tunnel');
    if (this.#streams.size >= this.#options.maxStreams) {
      throw new TunnelError('too_many_streams', `tunnel already has ${this.#streams.size} streams`);
    }
    if (this.#nextStreamId > MAX_UINT32) throw new TunnelError('tunnel_closed', 'stream ids exhausted');
    const stream = this.#createStream(this.#nextStreamId);
    this.#nextStreamId += 2;
    stream.announce(Flag.SYN);
    return stream;
  }

  /**
   * Round trip time of one ping; also a barrier: every frame sent before it has arrived. With
   * `timeoutMs` it rejects (keepalive_timeout) when no pong came back in time; the session lives on.
   */
  ping(timeoutMs?: number): Promise<number> {
    return this.#keepalive.ping(timeoutMs);
  }

  get roundTripMs(): number | undefined {
    return this.#keepalive.roundTripMs;
  }

  reserveWindow(wantedBytes: number): number {
    const granted = Math.max(0, Math.min(wantedBytes, this.#options.sessionWindowBudgetBytes - this.#grownWindowBytes));
    this.#grownWindowBytes += granted;
    return granted;
  }

  releaseWindow(bytes: number): void {
    this.#grownWindowBytes = Math.max(0, this.#grownWindowBytes - bytes);
  }

  /**
   * GoAway, let open streams finish (up to `graceMs`, default closeGraceMs), then close the
   * transport and wait for it. A peer removed by a config reload gets a longer grace than a node
   * shutting down. Idempotent: later calls return the first call's promise.
   */
  close(graceMs: number = this.#options.closeGraceMs): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    if (this.#isDestroyed) return;
    this.#goAway(GoAwayCode.Normal);
    if (this.#streams.size > 0) {
      const drained = new Promise<void>((resolve) => (this.#onDrained = resolve));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([drained, graceOver, this.#closed]);
      clearTimeout(timer);
    }
    this.#terminate(undefined, true);
    // Resolve once the socket is really gone (bounded by the grace timer set in #terminate), so
    // a server closing after its tunnels does not wait on a half-closed WebSocket.
    const transport = this.#transport;
    if (!transport.closed) await new Promise((resolve) => transport.once('close', resolve));
  }

  /** Immediate teardown: every open stream fails with `error` (or a tunnel_closed error). */
  destroy(error?: Error): void {
    this.#terminate(error, false);
  }

  /** A promise for the end of the session, whatever ends it. */
  closed(): Promise<void> {
    return this.#closed;
  }

  sendFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void {
    this.#writer.write(type, flags, streamId, length, payload);
  }

  whenWritable(callback: () => void): void {
    this.#writer.whenWritable(callback);
  }

  releaseStream(stream: YamuxStream): void {
    if (this.#streams.get(stream.id) !== stream) return;
    this.#streams.delete(stream.id);
    if (this.#streams.size === 0) this.#onDrained?.();
  }

  #createStream(id: number): YamuxStream {
    const stream = new YamuxStream(id, this, {
      windowBytes: this.#options.streamWindowBytes,
      maxWindowBytes: this.#options.maxStreamWindowBytes,
      maxFrameBytes: this.#options.maxFrameBytes,
      lingerMs: this.#options.streamLingerMs,
    });
    this.#streams.set(id, stream);
    return stream;
  }

  #onData = (chunk: Buffer): void => {
    if (this.#isDestroyed) return;
    try {
      const error = this.#decoder.push(chunk, this.#onFrameUnlessCongested);
      if (error !== undefined) this.#fail(GoAwayCode.ProtocolError, error.message);
    } catch (error) {
      // A throwing 'stream' or 'data' listener must not take the process down with it.
      this.#logger.error({ err: error, peer: this.peerName }, 'tunnel frame handler threw');
      this.#fail(GoAwayCode.InternalError, `frame handler threw: ${errorMessage(error)}`);
    }
  };

  /** Stops decoding the moment the peer stops draining our side (see FrameWriter). */
  #onFrameUnlessCongested = (frame: Frame): boolean => {
    this.#onFrame(frame);
    return !this.#writer.isCongested;
  };

  #onFrame = (frame: Frame): void => {
    if (this.#isDestroyed) return;
    switch (frame.type) {
      case FrameType.Data:
      case FrameType.WindowUpdate:
        return this.#onStreamFrame(frame);
      case FrameType.Ping:
        if (hasFlag(frame.flags, Flag.SYN)) this.#writer.write(FrameType.Ping, Flag.ACK, 0, frame.length);
        else if (hasFlag(frame.flags, Flag.ACK)) this.#keepalive.handlePong(frame.length);
        return;
      case FrameType.GoAway:
        return this.#onGoAway(frame.length);
    }
  };

  #onStreamFrame(frame: Frame): void {
    const { streamId, flags } = frame;
    if (streamId === 0) return this.#fail(GoAwayCode.ProtocolError, 'stream frame on stream 0');
    let stream = this.#streams.get(streamId);
    if (hasFlag(flags, Flag.SYN)) {
      // hashicorp/yamux session.go incomingStream: a SYN for an open id is a protocol error.
      if (stream !== undefined) return this.#fail(GoAwayCode.ProtocolError, `SYN for open stream ${streamId}`);
      const isPeerId = streamId % 2 === (this.role === 'client' ? 0 : 1);
      if (!isPeerId) return this.#fail(GoAwayCode.ProtocolError, `peer may not open stream ${streamId}`);
      stream = this.#acceptInbound(streamId);
    }
    // Frames for streams already closed here are normal races (data in flight during RST).
    if (stream === undefined) return;
    const violation = stream.receiveFrame(frame.type, flags, frame.length, frame.payload);
    if (violation !== undefined) this.#fail(GoAwayCode.ProtocolError, violation);
  }

  #acceptInbound(id: number): YamuxStream | undefined {
    const isFull = this.#streams.size >= this.#options.maxStreams || this.#backlog.length >= this.#options.acceptBacklog;
    if (this.#isGoingAway || isFull) {
      if (isFull) this.#logger.warn({ peer: this.peerName, streams: this.#streams.size }, 'refusing tunnel stream: limit reached');
      this.#writer.write(FrameType.WindowUpdate, Flag.RST, id, 0);
      return undefined;
    }
    const stream = this.#createStream(id);
    if (this.listenerCount('stream') === 0) {
      this.#backlog.push(stream);
    } else {
      stream.announce(Flag.ACK);
      this.emit('stream', stream);
    }
    return stream;
  }

  #acceptBacklog(): void {
    const waiting = this.#backlog;
    this.#backlog = [];
    for (const stream of waiting) {
      if (stream.destroyed || this.#isDestroyed) continue;
      stream.announce(Flag.ACK);
      this.emit('stream', stream);
    }
  }

  #onGoAway(code: number): void {
    if (code !== GoAwayCode.Normal) {
      // hashicorp/yamux session.go handleGoAway: any code but normal ends the session; ending it
      // here is what makes a dialer dial again.
      this.#logger.warn({ peer: this.peerName, code }, 'peer sent GoAway with an error');
      this.#terminate(new TunnelError('remote_goaway', `peer ended the tunnel with GoAway code ${code}`), false);
      return;
    }
    if (this.#isRemoteGoAway) return;
    this.#isRemoteGoAway = true;
    this.emit('goaway');
  }

  #goAway(code: GoAwayCode): void {
    this.#writer.write(FrameType.GoAway, 0, 0, code);
    if (this.#isGoingAway) return;
    this.#isGoingAway = true;
    for (const stream of this.#backlog) stream.refuse();
    this.#backlog = [];
    this.emit('goaway');
  }

  #fail(code: GoAwayCode, message: string): void {
    if (this.#isDestroyed) return;
    this.#logger.warn({ peer: this.peerName, code, reason: message }, 'tunnel protocol violation; closing');
    this.#goAway(code);
    this.#terminate(new TunnelError('protocol_error', message), true);
  }

  #onTransportGone(error: Error | undefined): void {
    if (this.#isDestroyed) return;
    // After a GoAway either way with every stream finished, the end of the transport is the plan.
    const isExpected = (this.#isGoingAway || this.#isRemoteGoAway) && this.#streams.size === 0 && error === undefined;
    const reason = error === undefined ? 'peer closed the tunnel' : `tunnel transport failed: ${error.message}`;
    this.#terminate(
      isExpected ? undefined : new TunnelError(error === undefined ? 'tunnel_closed' : 'transport_error', reason, { cause: error }),
      false,
    );
  }

  /** The single teardown path. `flush` lets queued frames (GoAway, RSTs) out before the end. */
  #terminate(error: Error | undefined, flush: boolean): void {
    if (this.#isDestroyed) return;
    this.#isDestroyed = true;
    this.#keepalive.stop();
    for (const stream of this.#backlog) stream.abandon(undefined);
    this.#backlog = [];
    const streamError = error ?? new TunnelError('tunnel_closed', 'tunnel closed');
    for (const stream of [...this.#streams.values()]) stream.abandon(streamError);
    this.#streams.clear();
    if (flush) {
      this.#writer.end();
      const transport = this.#transport;
      if (!transport.destroyed) {
        // A peer that never completes the close handshake must not hold the socket.
        const timer = setTimeout(() => transport.destroy(), this.#options.closeGraceMs);
        timer.unref();
        transport.once('close', () => clearTimeout(timer));
      }
    } else {
      this.#writer.close();
      this.#transport.destroy();
    }
    if (error !== undefined) this.#logger.info({ peer: this.peerName, err: error }, 'tunnel session ended');
    this.#markClosed();
    this.emit('close', error);
  }
}
