/**
 * `npm run bench -- tunnel`: the tunnel against raw TCP on loopback, in one run. The far side
 * runs in a child process (this file, forked with QM_TUNNEL_BENCH_PEER=1) so each side has a
 * core, as two nodes would. Streams start with one mode byte: B = sink and report the byte
 * count, E = echo. HTTP runs through a second tunnel whose streams go to an http.Server.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  TunnelAgent,
  createTunnelAcceptor,
  createTunnelDialer,
  serveStreamsWith,
  type TunnelDialer,
  type YamuxSession,
} from '../src/tunnel/index.ts';

const RAW_TOKEN = 'bench-raw-token-0123456789';
const HTTP_TOKEN = 'bench-http-token-0123456789';
const BULK_BYTES = 512 * 1024 * 1024;
const ECHO_BYTES = 4096;
const CONCURRENCY = 100;
const RUN_MS = 3_000;

interface PeerPorts {
  rawPort: number;
  httpPort: number;
  tunnelPort: number;
}

type Open = () => Duplex;

export async function run(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, QM_TUNNEL_BENCH_PEER: '1' } });
  try {
    const ports = await new Promise<PeerPorts>((resolve) => child.once('message', (message) => resolve(message as PeerPorts)));
    const rawTunnel = await dial(ports.tunnelPort, RAW_TOKEN);
    const httpTunnel = await dial(ports.tunnelPort, HTTP_TOKEN);
    const tcp: Open = () => net.connect(ports.rawPort, '127.0.0.1').setNoDelay(true);
    const stream: Open = () => rawTunnel.session.openStream();
    const idleRssMb = { own: rssMb(), far: await askRss(child) };
    const tcpAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const tunnelAgent = new TunnelAgent(() => httpTunnel.session.openStream(), { maxSockets: CONCURRENCY });

    const rows: Array<[string, number, number, string]> = [];
    const measure = async (name: string, unit: string, job: (open: Open, agent: http.Agent, port: number) => Promise<number>) => {
      const baseline = await job(tcp, tcpAgent, ports.httpPort);
      const tunnel = await job(stream, tunnelAgent, 0);
      rows.push([name, baseline, tunnel, unit]);
      console.log(`  ${name}: tcp ${baseline.toFixed(0)} ${unit}, tunnel ${tunnel.toFixed(0)} ${unit}`);
    };
    await measure('one-stream bulk', 'MB/s', (open) => bulk(open));
    await measure(`${CONCURRENCY} × 4 KiB echo, persistent streams`, 'req/s', (open) => echoPersistent(open));
    await measure(`${CONCURRENCY} × 4 KiB echo, new stream per request`, 'req/s', (open) => echoNewStream(open));
    await measure(`HTTP POST 4 KiB echo, ${CONCURRENCY} concurrent, keep-alive`, 'req/s', (_open, agent, port) => httpEcho(agent, port));

    const childRssMb = await askRss(child);
    console.log('\n| measure | raw TCP | tunnel | tunnel / TCP |\n|---|---:|---:|---:|');
    for (const [name, baseline, tunnel, unit] of rows) {
      console.log(`| ${name} | ${baseline.toFixed(0)} ${unit} | ${tunnel.toFixed(0)} ${unit} | ${(tunnel / baseline).toFixed(2)} |`);
    }
    console.log(
      `\nRSS (tsx + modules alone is about 80 MB): tunnels up and idle ${idleRssMb.own.toFixed(0)} MB here / ` +
        `${idleRssMb.far.toFixed(0)} MB far side; after the run ${rssMb().toFixed(0)} MB / ${childRssMb.toFixed(0)} MB`,
    );
    tcpAgent.destroy();
    tunnelAgent.destroy();
    await rawTunnel.dialer.close();
    await httpTunnel.dialer.close();
  } finally {
    child.kill();
  }
}

async function dial(port: number, token: string): Promise<{ dialer: TunnelDialer; session: YamuxSession }> {
  return new Promise((resolve) => {
    const dialer = createTunnelDialer({
      url: `http://127.0.0.1:${port}`,
      nodeName: 'bench',
      token,
      peerName: 'far',
      onSession: (_peer, session) => resolve({ dialer, session }),
    });
  });
}

async function bulk(open: Open): Promise<number> {
  const connection = open();
  const chunk = Buffer.alloc(128 * 1024, 0x61);
  const startedAt = performance.now();
  const reply = readUntilEnd(connection);
  connection.write('B');
  for (let sent = 0; sent < BULK_BYTES; sent += chunk.length) {
    if (!connection.write(chunk)) await new Promise((resolve) => connection.once('drain', resolve));
  }
  connection.end();
  const received = Number((await reply).toString());
  if (received !== BULK_BYTES) throw new Error(`bulk: far side counted ${received}`);
  return BULK_BYTES / 1e6 / ((performance.now() - startedAt) / 1000);
}

async function echoPersistent(open: Open): Promise<number> {
  const payload = Buffer.alloc(ECHO_BYTES, 0x62);
  const deadline = performance.now() + RUN_MS;
  let completed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const connection = open();
      connection.write('E');
      let pending: (() => void) | undefined;
      let received = 0;
      connection.on('data', (data: Buffer) => {
        received += data.length;
        if (received >= ECHO_BYTES) {
          received -= ECHO_BYTES;
          pending?.();
        }
      });
      while (performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          pending = resolve;
          connection.write(payload);
        });
        completed++;
      }
      connection.destroy();
    }),
  );
  return completed / (RUN_MS / 1000);
}

async function echoNewStream(open: Open): Promise<number> {
  const payload = Buffer.concat([Buffer.from('E'), Buffer.alloc(ECHO_BYTES, 0x63)]);
  const deadline = performance.now() + RUN_MS;
  let completed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const connection = open();
        const reply = readUntilEnd(connection);
        connection.end(payload);
        if ((await reply).length !== ECHO_BYTES) throw new Error('short echo');
        connection.destroy();
        completed++;
      }
    }),
  );
  return completed / (RUN_MS / 1000);
}

async function httpEcho(agent: http.Agent, port: number): Promise<number> {
  const payload = Buffer.alloc(ECHO_BYTES, 0x64);
  const deadline = performance.now() + RUN_MS;
  let completed = 0;
  const post = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/echo' }, (response) => {
        response.resume().on('end', resolve);
      });
      request.on('error', reject);
      request.end(payload);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await post();
        completed++;
      }
    }),
  );
  return completed / (RUN_MS / 1000);
}

function readUntilEnd(connection: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    connection.on('data', (chunk: Buffer) => chunks.push(chunk));
    connection.on('end', () => resolve(Buffer.concat(chunks)));
    connection.on('error', reject);
  });
}

function rssMb(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

function askRss(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { rssMb: number }).rssMb));
    child.send('rss');
  });
}

/** The far side: a mode-byte server for raw TCP and tunnel streams, and an HTTP echo server. */
async function servePeer(): Promise<void> {
  const echoServer = (): http.Server =>
    http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => response.end(Buffer.concat(chunks)));
    });
  const rawServer = net.createServer((socket) => handleModeStream(socket.setNoDelay(true)));
  const httpServer = echoServer();
  const tunnelHttpServer = echoServer();
  const tunnelServer = http.createServer();
  const acceptor = createTunnelAcceptor({
    peers: () => [
      { name: 'raw', token: RAW_TOKEN },
      { name: 'http', token: HTTP_TOKEN },
    ],
    onSession: (peerName, session) => {
      if (peerName === 'http') serveStreamsWith(session, tunnelHttpServer);
      else session.on('stream', handleModeStream);
    },
  });
  tunnelServer.on('upgrade', (request, socket, head) => acceptor.handleUpgrade(request, socket, head));
  const listen = (server: net.Server): Promise<number> =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const ports: PeerPorts = { rawPort: await listen(rawServer), httpPort: await listen(httpServer), tunnelPort: await listen(tunnelServer) };
  process.on('message', () => process.send?.({ rssMb: rssMb() }));
  process.on('disconnect', () => process.exit(0));
  process.send?.(ports);
}

function handleModeStream(stream: Duplex): void {
  stream.on('error', () => {});
  let mode: number | undefined;
  let counted = 0;
  stream.on('data', (chunk: Buffer) => {
    if (mode === undefined) {
      mode = chunk[0];
      chunk = chunk.subarray(1);
    }
    if (mode === 0x42) counted += chunk.length;
    else if (chunk.length > 0) stream.write(chunk);
  });
  stream.on('end', () => stream.end(mode === 0x42 ? String(counted) : undefined));
}

if (process.env.QM_TUNNEL_BENCH_PEER === '1') await servePeer();
