/**
 * A test peer that behaves as sing-box's CCM/OCM does at the wire (SagerNet/sing-box
 * `service/ccm/reverse.go`, `service/ocm/reverse.go`, `credential_external.go`), over an
 * independent yamux (@chainsafe/libp2p-yamux) configured as sing-box configures hashicorp's:
 * 512 KiB stream window, 15 s keepalive.
 *
 * - connectSingBoxConnector: a sing-box laptop (external credential with url + reverse) dials a
 *   receiver's `/ccm/v1/reverse`, writes the upgrade by hand, requires `HTTP/1.1 101`, becomes the
 *   yamux server and serves every stream with its own service (an http.Server here).
 * - startSingBoxReceiver: a sing-box hub (external credential without url) answers the upgrade
 *   with the literal 101, becomes the yamux client, and sends its users' requests down the tunnel
 *   as HTTP/1.1 to `http://reverse-proxy` with the Bearer token; Codex WebSockets are an ordinary
 *   upgrade inside a stream.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { yamux } from '@chainsafe/libp2p-yamux';
import type { Stream } from '@libp2p/interface';
import WebSocket from 'ws';
import { SocketMessageStream, type TheirMuxer } from '../integration/tunnel/conformance/libp2p-peer.ts';

export type Service = 'ccm' | 'ocm';
export const SWITCHING = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: reverse-proxy\r\n\r\n';

/** sing-box's defaultYamuxConfig, in libp2p-yamux's terms; `role` as hashicorp's Client/Server. */
function singBoxMuxer(socket: net.Socket, role: 'client' | 'server'): TheirMuxer {
  socket.setNoDelay(true);
  // libp2p's outbound side is the yamux client (odd ids), its inbound side the server.
  const direction = role === 'client' ? 'outbound' : 'inbound';
  return yamux({
    enableKeepAlive: true,
    keepAliveInterval: 15_000,
    streamOptions: { maxStreamWindowSize: 512 * 1024 },
  })().createStreamMuxer(new SocketMessageStream(socket, direction));
}

/** A libp2p stream as the net.Socket-shaped Duplex Node's http client and server take. */
export class StreamDuplex extends Duplex {
  readonly connecting = false;
  readonly remoteAddress = '127.0.0.1';
  readonly #stream: Stream;

  constructor(stream: Stream) {
    super({ allowHalfOpen: true });
    this.#stream = stream;
    stream.addEventListener('message', (event) => {
      for (const part of event.data instanceof Uint8Array ? [event.data] : event.data) {
        if (!this.push(Buffer.from(part))) stream.pause();
      }
    });
    stream.addEventListener('remoteCloseWrite', () => this.push(null));
    stream.addEventListener('close', (event) => (event.error === undefined ? this.push(null) : this.destroy(event.error)));
  }

  override _read(): void {
    this.#stream.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      if (this.#stream.send(chunk)) callback();
      else this.#stream.onDrain().then(() => callback(), callback);
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#stream.close().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#stream.status === 'open') this.#stream.abort(error ?? new Error('destroyed'));
    callback(error);
  }

  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

export interface ConnectorOptions {
  /** The receiver's base URL (a path prefix is kept, as sing-box does). */
  url: string;
  service: Service;
  token: string;
  /** The connector's own service: every stream the receiver opens is one of its connections. */
  server: http.Server;
}

export interface ConnectorSession {
  muxer: TheirMuxer;
  socket: net.Socket;
  close(): void;
}

/** sing-box's connectorConnect, once: dial, upgrade, yamux server, serve. */
export async function connectSingBoxConnector(options: ConnectorOptions): Promise<ConnectorSession> {
  const url = new URL(options.url);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const path = `${url.pathname.replace(/\/+$/, '')}/${options.service}/v1/reverse`;
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: reverse-proxy\r\nAuthorization: Bearer ${options.token}\r\n\r\n`,
  );
  const rest = await readHead(socket, (head) => {
    if (!head.startsWith('HTTP/1.1 101')) throw new Error(`unexpected upgrade response: ${head.split('\r\n')[0]}`);
  });
  if (rest.length > 0) socket.unshift(rest);
  const muxer = singBoxMuxer(socket, 'server');
  muxer.addEventListener('stream', (event) => options.server.emit('connection', new StreamDuplex(event.detail)));
  socket.resume();
  return { muxer, socket, close: () => closeMuxer(muxer, socket) };
}

/** Reads up to the blank line; `check` sees the head; resolves with the bytes after it. */
function readHead(socket: net.Socket, check: (head: string) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      try {
        check(received.subarray(0, end).toString('latin1'));
        resolve(received.subarray(end + 4));
      } catch (error) {
        reject(error as Error);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during upgrade')));
  });
}

function closeMuxer(muxer: TheirMuxer, socket: net.Socket): void {
  if (muxer.status === 'open') muxer.abort(new Error('test over'));
  socket.destroy();
}

export interface ReceiverUpgrade {
  path: string;
  headers: Record<string, string>;
}

export interface SingBoxReceiver {
  url: string;
  /** Every upgrade request that reached the receiver, accepted or not. */
  upgrades: ReceiverUpgrade[];
  /** The live tunnel of a service, once a connector dialed it. */
  session(service: Service): TheirMuxer | undefined;
  /** An http.Agent whose connections are new streams of the service's tunnel. */
  agent(service: Service): http.Agent;
  /** A WebSocket opened inside a new stream of the service's tunnel. */
  openWebSocket(service: Service, path: string, headers: Record<string, string>): Promise<WebSocket>;
  close(): Promise<void>;
}

/**
 * sing-box's handleReverseConnect: Upgrade must be `reverse-proxy`, the Bearer must be the
 * token, then the literal 101. The 101 and the yamux client's first frame (a SYN of the stream
 * it opens at once) leave in one write, as coalesced bytes would arrive behind a buffered reader.
 */
export async function startSingBoxReceiver(options: { token: string; tls?: { cert: Buffer; key: Buffer } }): Promise<SingBoxReceiver> {
  const sessions = new Map<Service, { muxer: TheirMuxer; socket: net.Socket; firstStream: Promise<Stream> }>();
  const upgrades: ReceiverUpgrade[] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    const accept = (rest: Buffer): void => {
      const [requestLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const path = requestLine.split(' ')[1] ?? '';
      upgrades.push({ path, headers });
      const service = /\/(ccm|ocm)\/v1\/reverse$/.exec(path)?.[1] as Service | undefined;
      if (service === undefined || headers['upgrade'] !== 'reverse-proxy' || headers['authorization'] !== `Bearer ${options.token}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      if (rest.length > 0) socket.unshift(rest);
      socket.cork();
      socket.write(SWITCHING);
      const muxer = singBoxMuxer(socket, 'client');
      const firstStream = muxer.createStream();
      process.nextTick(() => socket.uncork());
      socket.resume();
      sessions.get(service)?.socket.destroy();
      sessions.set(service, { muxer, socket, firstStream });
    };
    readHead(socket, (text) => (head = text)).then(accept, () => socket.destroy());
  };
  const server = options.tls === undefined ? net.createServer(onSocket) : tls.createServer(options.tls, onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agents = new Map<Service, http.Agent>();
  /** The stream opened with the 101 first, then new ones. */
  const openStream = async (service: Service): Promise<Stream> => {
    const session = sessions.get(service);
    if (session === undefined) throw new Error(`no ${service} tunnel`);
    const first = session.firstStream;
    session.firstStream = session.muxer.createStream();
    return first;
  };
  return {
    url: `${options.tls === undefined ? 'http://127.0.0.1' : 'https://localhost'}:${(server.address() as AddressInfo).port}`,
    upgrades,
    session: (service) => sessions.get(service)?.muxer,
    agent: (service) => {
      let agent = agents.get(service);
      if (agent === undefined) {
        agent = new (class extends http.Agent {
          override createConnection(_options: unknown, callback: (error: Error | null, socket?: Duplex) => void): undefined {
            openStream(service).then((stream) => callback(null, new StreamDuplex(stream)), callback);
            return undefined;
          }
        })({ keepAlive: true });
        agents.set(service, agent);
      }
      return agent;
    },
    openWebSocket: async (service, path, headers) => {
      const duplex = new StreamDuplex(await openStream(service));
      const socket = new WebSocket(`ws://reverse-proxy${path}`, { headers, createConnection: () => duplex as unknown as net.Socket });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      return socket;
    },
    close: async () => {
      for (const agent of agents.values()) agent.destroy();
      for (const { muxer, socket } of sessions.values()) closeMuxer(muxer, socket);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One NDJSON status frame as sing-box writes it: the five keys, nothing else. */
export interface SingBoxStatus {
  five_hour_utilization: number;
  five_hour_reset: number;
  weekly_utilization: number;
  weekly_reset: number;
  plan_weight: number;
}
