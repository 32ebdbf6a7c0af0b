import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TUNNEL_SUBPROTOCOL,
  createTunnelAcceptor,
  createTunnelDialer,
  signAuthorization,
  type TunnelAcceptor,
  type TunnelAcceptorOptions,
  type TunnelDialer,
  type TunnelLogger,
} from '../../../src/tunnel/index.ts';
import { LINK_TOKEN } from './mesh.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let server: http.Server | undefined;
let acceptor: TunnelAcceptor | undefined;
let dialer: TunnelDialer | undefined;
afterEach(async () => {
  await dialer?.close();
  await acceptor?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  [server, acceptor, dialer] = [undefined, undefined, undefined];
});

async function startAcceptor(options: Partial<TunnelAcceptorOptions> = {}): Promise<number> {
  const created = createTunnelAcceptor({
    peers: () => [
      { name: 'other', token: 'another-token-0123456789' },
      { name: 'laptop', token: LINK_TOKEN },
    ],
    onSession: (_peer, session) => void session.close(),
    ...options,
  });
  acceptor = created;
  server = http.createServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', (request, socket, head) => created.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

interface UpgradeAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function upgrade(port: number, headers: Record<string, string | undefined>): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      port,
      host: '127.0.0.1',
      path: '/v1/tunnel',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': TUNNEL_SUBPROTOCOL,
        ...Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const sign = (overrides: { token?: string; nowMs?: number; nonce?: string } = {}): string =>
  signAuthorization({ node: 'laptop', token: LINK_TOKEN, nowMs: Date.now(), ...overrides });

describe('tunnel handshake', () => {
  it('upgrades a correctly signed request', async () => {
    const port = await startAcceptor();
    expect(await upgrade(port, { authorization: sign() })).toMatchObject({ status: 101 });
  });

  it('refuses a replayed authorization with a bare 401', async () => {
    const port = await startAcceptor();
    const authorization = sign();
    expect((await upgrade(port, { authorization })).status).toBe(101);
    const replay = await upgrade(port, { authorization });
    expect(replay.status).toBe(401);
    expect(replay.body).toBe('');
    expect(replay.headers['www-authenticate']).toBeUndefined();
  });

  it.each([
    ['stale', () => sign({ nowMs: Date.now() - 301_000 })],
    ['from the future', () => sign({ nowMs: Date.now() + 301_000 })],
    ['signed with another token', () => sign({ token: 'not-the-link-token-000000' })],
    ['malformed', () => 'QuotaMesh node=laptop, ts=abc'],
    ['a bearer token', () => `Bearer ${LINK_TOKEN}`],
    ['missing', () => undefined],
  ])('refuses an authorization that is %s', async (_name, authorization) => {
    const port = await startAcceptor();
    expect(await upgrade(port, { authorization: authorization() })).toMatchObject({ status: 401, body: '' });
  });

  it('refuses a request without the quotamesh.v1 subprotocol', async () => {
    const port = await startAcceptor();
    expect((await upgrade(port, { authorization: sign(), 'sec-websocket-protocol': 'chat' })).status).toBe(400);
  });

  it('rate-limits an address after repeated failures, even with a good signature', async () => {
    const port = await startAcceptor({ failureLimit: { maxFailures: 3, windowMs: 60_000 } });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await upgrade(port, { authorization: sign({ token: 'wrong-token-0123456789' }) })).status).toBe(401);
    }
    const limited = await upgrade(port, { authorization: sign() });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('times out a client that upgrades but never speaks yamux, without a session', async () => {
    let sessions = 0;
    const port = await startAcceptor({ handshakeTimeoutMs: 100, onSession: () => sessions++ });
    const silent = await openSilentClient(port);
    expect(acceptor!.pendingHandshakes).toBe(1);
    await waitFor(() => silent.readyState === WebSocket.CLOSED, 'the acceptor to drop the silent client');
    expect(acceptor!.pendingHandshakes).toBe(0);
    expect(sessions).toBe(0);
  });

  it('caps pending handshakes', async () => {
    const port = await startAcceptor({ maxPendingHandshakes: 1 });
    const silent = await openSilentClient(port);
    expect((await upgrade(port, { authorization: sign() })).status).toBe(503);
    silent.terminate();
    await waitFor(() => acceptor!.pendingHandshakes === 0, 'the slot to free');
    expect((await upgrade(port, { authorization: sign() })).status).toBe(101);
  });

  it('makes a dialer refused with 401 log loudly and wait at the slowest rate', async () => {
    const port = await startAcceptor();
    const errors: string[] = [];
    const logger: TunnelLogger = { debug() {}, info() {}, warn() {}, error: (_object, message) => errors.push(message) };
    const waits: Array<{ delayMs: number; kind: string }> = [];
    dialer = createTunnelDialer({
      url: `http://127.0.0.1:${port}`,
      nodeName: 'laptop',
      token: 'a-wrong-token-0123456789',
      onSession: () => {},
      logger,
    });
    dialer.on('waiting', (delayMs, cause) => waits.push({ delayMs, kind: cause.kind }));
    await waitFor(() => waits.length === 1, 'the dialer to back off');
    expect(waits[0]!.kind).toBe('unauthorized');
    expect(waits[0]!.delayMs).toBeGreaterThanOrEqual(30_000);
    expect(errors[0]).toMatch(/refused our tunnel authorization/);
  });

  it('redials at once on demand instead of waiting out the backoff', async () => {
    const sessions: string[] = [];
    // Nothing listens yet: the first dial fails and the next is a minute away.
    const placeholder = http.createServer();
    await new Promise<void>((resolve) => placeholder.listen(0, '127.0.0.1', resolve));
    const port = (placeholder.address() as AddressInfo).port;
    await new Promise((resolve) => placeholder.close(resolve));
    dialer = createTunnelDialer({
      url: `http://127.0.0.1:${port}`,
      nodeName: 'laptop',
      token: LINK_TOKEN,
      peerName: 'hub',
      onSession: (peerName) => sessions.push(peerName),
      reconnect: { baseMs: 60_000, maxMs: 60_000 },
    });
    await waitFor(() => dialer!.state === 'waiting', 'the first dial to fail');
    await startAcceptorOn(port);
    dialer.redialNow();
    await waitFor(() => sessions.length === 1, 'a session');
    expect(sessions).toEqual(['hub']);
  });
});

/** Completes the WebSocket upgrade correctly, then ignores everything (no yamux at all). */
async function openSilentClient(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/tunnel`, [TUNNEL_SUBPROTOCOL], { headers: { authorization: sign() } });
  ws.on('error', () => {});
  await new Promise((resolve) => ws.once('open', resolve));
  return ws;
}

async function startAcceptorOn(port: number): Promise<void> {
  const created = createTunnelAcceptor({ peers: () => [{ name: 'laptop', token: LINK_TOKEN }], onSession: () => {} });
  acceptor = created;
  server = http.createServer();
  server.on('upgrade', (request, socket, head) => created.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
}
