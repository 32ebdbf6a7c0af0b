/**
 * A WebSocket as a byte Duplex for the yamux session. Message boundaries mean nothing to yamux,
 * so writes are merged into messages of up to `maxMessageBytes` (one WebSocket frame for a whole
 * burst of yamux frames) and split above it (the peer bounds what it accepts with `maxPayload`).
 *
 * Create it right after constructing the WebSocket, before 'open': a first message arriving in the
 * same packet as the 101 would otherwise be emitted with no listener and lost (sing-box `9e7d863e`
 * lost bytes the same way behind a buffered reader).
 */
import { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { TunnelError } from './errors.ts';

/** What the peer may send in one message; generous, since we send at most MESSAGE_BYTES. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
const MESSAGE_BYTES = 1024 * 1024;

type WriteCallback = (error?: Error | null) => void;

/** Options every tunnel WebSocket uses, client and server. */
export const tunnelWebSocketOptions = {
  perMessageDeflate: false,
  maxPayload: MAX_PAYLOAD_BYTES,
  skipUTF8Validation: true,
} as const;

/**
 * Client frames must be masked, but a zero mask makes ws skip the XOR on both ends. Masking
 * protects browser-facing proxies from script-chosen bytes; our peers are not browsers and the
 * bytes are yamux frames, so it buys nothing and costs a pass over every byte.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export class WebSocketDuplex extends Duplex {
  readonly #ws: WebSocket;
  readonly #maxMessageBytes: number;

  constructor(ws: WebSocket, options: { maxMessageBytes?: number } = {}) {
    // Not half-open: once the WebSocket is closed there is nothing left to write to.
    super({ allowHalfOpen: false, readableHighWaterMark: MESSAGE_BYTES, writableHighWaterMark: MESSAGE_BYTES });
    this.#ws = ws;
    this.#maxMessageBytes = options.maxMessageBytes ?? MESSAGE_BYTES;
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.#onMessage);
    ws.on('close', () => this.push(null));
    ws.on('error', (error) => this.destroy(error));
  }

  get webSocket(): WebSocket {
    return this.#ws;
  }

  override _read(): void {
    if (this.#ws.isPaused) this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.#send([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: WriteCallback): void {
    this.#send(
      chunks.map((entry) => entry.chunk),
      callback,
    );
  }

  override _final(callback: WriteCallback): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.terminate();
    callback(error);
  }

  #onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.destroy(new TunnelError('protocol_error', 'non-binary message on the tunnel'));
      return;
    }
    // Backpressure: stop reading the socket until the session drains what it has.
    if (!this.push(data)) this.#ws.pause();
  };

  #send(chunks: Buffer[], callback: WriteCallback): void {
    if (this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.once('open', () => this.#send(chunks, callback));
      return;
    }
    const messages = this.#toMessages(chunks);
    const last = messages.length - 1;
    messages.forEach((message, index) => {
      this.#ws.send(message, { binary: true }, index === last ? callback : undefined);
    });
    if (messages.length === 0) callback();
  }

  #toMessages(chunks: Buffer[]): Buffer[] {
    const messages: Buffer[] = [];
    let group: Buffer[] = [];
    let groupBytes = 0;
    const flushGroup = (): void => {
      if (group.length === 0) return;
      messages.push(group.length === 1 ? (group[0] as Buffer) : Buffer.concat(group, groupBytes));
      group = [];
      groupBytes = 0;
    };
    for (const chunk of chunks) {
      if (chunk.length >= this.#maxMessageBytes) {
        flushGroup();
        for (let offset = 0; offset < chunk.length; offset += this.#maxMessageBytes) {
          messages.push(chunk.subarray(offset, offset + this.#maxMessageBytes));
        }
        continue;
      }
      if (groupBytes + chunk.length > this.#maxMessageBytes) flushGroup();
      group.push(chunk);
      groupBytes += chunk.length;
    }
    flushGroup();
    return messages;
  }
}
