/**
 * A hand-made tunnel connector for hostile tests: it signs a real handshake (PROTOCOL.md › Tunnel
 * handshake), answers the acceptor's yamux pings so the tunnel is handed over, and then sends
 * whatever bytes a test wants. It reads the node's frames just enough to notice a GoAway and its
 * code.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';
import { TUNNEL_SUBPROTOCOL, signAuthorization } from '../../../src/tunnel/index.ts';
import { Flag, FrameType, HEADER_LENGTH } from '../../../src/tunnel/yamux/frame.ts';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';

export class TunnelProbe {
  readonly ws: WebSocket;
  /** GoAway codes the node sent, in order. */
  readonly goAways: number[] = [];
  isClosed = false;
  closeCode: number | undefined;
  answersPings = true;
  #pending = Buffer.alloc(0);

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.isClosed = true;
      this.closeCode = code;
    });
    ws.on('message', (data: Buffer) => this.#read(data));
  }

  send(bytes: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: true });
  }

  close(): void {
    this.ws.terminate();
  }

  /** Frames of the node's byte stream; our own tests send garbage, the node never does. */
  #read(data: Buffer): void {
    let buffer = Buffer.concat([this.#pending, data]);
    while (buffer.length >= HEADER_LENGTH) {
      const type = buffer[1];
      const flags = buffer.readUInt16BE(2);
      const length = buffer.readUInt32BE(8);
      const size = HEADER_LENGTH + (type === FrameType.Data ? length : 0);
      if (buffer.length < size) break;
      if (type === FrameType.Ping && (flags & Flag.SYN) !== 0 && this.answersPings) {
        this.send(encodeFrame({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length }));
      }
      if (type === FrameType.GoAway) this.goAways.push(length);
      buffer = buffer.subarray(size);
    }
    this.#pending = buffer;
  }
}

export interface ProbeOptions {
  node?: string;
  token: string;
  localAddress?: string;
}

/** Opens a tunnel WebSocket to `baseUrl`; resolves once the 101 arrived. */
export function openProbe(baseUrl: string, options: ProbeOptions): Promise<TunnelProbe> {
  const authorization = signAuthorization({ node: options.node ?? 'probe', token: options.token, nowMs: Date.now() });
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/tunnel`, TUNNEL_SUBPROTOCOL, {
    headers: { authorization },
    perMessageDeflate: false,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  const probe = new TunnelProbe(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(probe));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`tunnel refused: ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

/** One raw upgrade attempt: the status the acceptor answered (101 counts as accepted, then dropped). */
export function tunnelAttempt(baseUrl: string, authorization: string, localAddress?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/v1/tunnel`, {
      agent: false,
      ...(localAddress ? { localAddress } : {}),
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': TUNNEL_SUBPROTOCOL,
        authorization,
      },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve(response.statusCode ?? 0);
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}
