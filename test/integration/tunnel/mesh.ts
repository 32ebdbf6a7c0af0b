/**
 * Two tunnel endpoints on 127.0.0.1: a "hub" http.Server whose 'upgrade' goes to a TunnelAcceptor,
 * and a "laptop" whose TunnelDialer connects to it. Each side serves tunnelled requests with its
 * own handler and reaches the other through PeerSessions.agentFor. `restartHub()` drops every hub
 * socket and listens again on the same port, as a restarted process would.
 */
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import {
  PeerSessions,
  createTunnelAcceptor,
  createTunnelDialer,
  type ReconnectOptions,
  type SessionTunables,
  type TunnelAcceptor,
  type TunnelDialer,
} from '../../../src/tunnel/index.ts';

export const LINK_TOKEN = 'link-token-0123456789-abcdefghij';

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface MeshOptions {
  hubHandler?: Handler;
  laptopHandler?: Handler;
  session?: SessionTunables;
  reconnect?: ReconnectOptions;
  laptopToken?: string;
  /** Route the tunnel through a TCP proxy that can freeze (sockets open, nothing forwarded). */
  viaProxy?: boolean;
}

export interface Hub {
  server: http.Server;
  acceptor: TunnelAcceptor;
  peers: PeerSessions;
  sockets: Set<Socket>;
}

export interface Mesh {
  port: number;
  hub: Hub;
  laptop: { server: http.Server; dialer: TunnelDialer; peers: PeerSessions };
  proxy: FreezableProxy | undefined;
  restartHub(): Promise<void>;
  close(): Promise<void>;
}

const notFound: Handler = (_request, response) => response.writeHead(404).end();

export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  let hub = await startHub(options, 0);
  const port = (hub.server.address() as AddressInfo).port;
  const proxy = options.viaProxy === true ? await startFreezableProxy(port) : undefined;
  const laptopServer = http.createServer(options.laptopHandler ?? notFound);
  const laptopPeers = new PeerSessions({ server: laptopServer });
  const dialer = createTunnelDialer({
    url: `http://127.0.0.1:${proxy?.port ?? port}`,
    nodeName: 'laptop',
    token: options.laptopToken ?? LINK_TOKEN,
    peerName: 'hub',
    onSession: (peerName, session) => laptopPeers.add(peerName, session),
    ...(options.session === undefined ? {} : { session: options.session }),
    ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
  });
  return {
    port,
    get hub() {
      return hub;
    },
    laptop: { server: laptopServer, dialer, peers: laptopPeers },
    proxy,
    async restartHub() {
      await stopHub(hub);
      hub = await startHub(options, port);
    },
    async close() {
      await dialer.close();
      await laptopPeers.close();
      laptopServer.closeAllConnections();
      await stopHub(hub);
      await proxy?.close();
    },
  };
}

async function startHub(options: MeshOptions, port: number): Promise<Hub> {
  const server = http.createServer(options.hubHandler ?? notFound);
  const peers = new PeerSessions({ server });
  const acceptor = createTunnelAcceptor({
    peers: () => [{ name: 'laptop', token: LINK_TOKEN }],
    onSession: (peerName, session) => peers.add(peerName, session),
    ...(options.session === undefined ? {} : { session: options.session }),
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request, socket, head) => acceptor.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, acceptor, peers, sockets };
}

/** Like a killed process: every socket drops at once, no GoAway. */
async function stopHub(hub: Hub): Promise<void> {
  await hub.acceptor.close();
  for (const socket of hub.sockets) socket.destroy();
  hub.server.closeAllConnections();
  await new Promise<void>((resolve) => hub.server.close(() => resolve()));
  await hub.peers.close();
}

export interface FreezableProxy {
  port: number;
  /** Stop forwarding in both directions and keep every socket open: a hung peer. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(targetPort: number): Promise<FreezableProxy> {
  let isFrozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.on('data', (chunk) => isFrozen || upstream.write(chunk));
    upstream.on('data', (chunk) => isFrozen || client.write(chunk));
    // A hung peer does not pass on closes either: each side must find out by itself.
    client.once('close', () => isFrozen || upstream.destroy());
    upstream.once('close', () => isFrozen || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => (isFrozen = true),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function send(
  agent: http.Agent,
  options: { method?: string; path?: string; body?: Buffer | string; headers?: http.OutgoingHttpHeaders } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: 'peer', method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Reads the request body and answers with it, tagged with the tunnel peer it came from. */
export const echoHandler =
  (peerNameOf: (socket: unknown) => string | undefined): Handler =>
  (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(200, { 'x-peer': peerNameOf(request.socket) ?? 'none', 'content-type': 'application/octet-stream' });
      response.end(Buffer.concat(chunks));
    });
  };
