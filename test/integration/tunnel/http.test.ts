import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { TunnelAgent, peerNameOfSocket } from '../../../src/tunnel/index.ts';
import { echoHandler, send, startMesh, type Mesh } from './mesh.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

describe('HTTP through the tunnel', () => {
  it('carries requests both ways, attributed to the peer', async () => {
    mesh = await startMesh({ hubHandler: echoHandler(peerNameOfSocket), laptopHandler: echoHandler(peerNameOfSocket) });
    await waitFor(() => mesh!.hub.peers.isUp('laptop') && mesh!.laptop.peers.isUp('hub'), 'tunnel up');
    const toLaptop = await send(mesh.hub.peers.agentFor('laptop'), { method: 'POST', body: 'to the laptop' });
    expect(toLaptop).toMatchObject({ status: 200, headers: { 'x-peer': 'hub' } });
    expect(toLaptop.body.toString()).toBe('to the laptop');
    const toHub = await send(mesh.laptop.peers.agentFor('hub'), { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 7) });
    expect(toHub).toMatchObject({ status: 200, headers: { 'x-peer': 'laptop' } });
    expect(toHub.body.equals(Buffer.alloc(3 * 1024 * 1024, 7))).toBe(true);
  });

  it('fails a request with tunnel_unavailable when the peer has no tunnel', async () => {
    mesh = await startMesh();
    await expect(send(mesh.hub.peers.agentFor('nobody'))).rejects.toMatchObject({ code: 'tunnel_unavailable' });
  });

  it('streams server-sent events through without buffering', async () => {
    const received: string[] = [];
    let onEvent: () => void = () => {};
    mesh = await startMesh({
      laptopHandler: (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        let sent = 0;
        // The next event is written only after the client saw the previous one: any buffering
        // on the way would deadlock this exchange.
        const next = (): void => {
          if (sent === 5) return void response.end();
          response.write(`data: ${sent++}\n\n`);
        };
        onEvent = next;
        next();
      },
    });
    await waitFor(() => mesh!.hub.peers.isUp('laptop'), 'tunnel up');
    await new Promise<void>((resolve, reject) => {
      http
        .get({ agent: mesh!.hub.peers.agentFor('laptop'), host: 'peer', path: '/events' }, (response) => {
          response.setEncoding('utf8');
          response.on('data', (text: string) => {
            received.push(text);
            onEvent();
          });
          response.on('end', resolve);
        })
        .on('error', reject);
    });
    expect(received).toEqual(['data: 0\n\n', 'data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n', 'data: 4\n\n']);
  });

  it('runs 10 000 sequential request/response streams and leaves both stream tables empty', async () => {
    mesh = await startMesh({ laptopHandler: echoHandler(peerNameOfSocket) });
    await waitFor(() => mesh!.hub.peers.isUp('laptop'), 'tunnel up');
    // A new stream per request: no keep-alive pooling.
    const agent = new TunnelAgent(() => mesh!.hub.peers.openStream('laptop'), { keepAlive: false });
    for (let index = 0; index < 10_000; index++) {
      const reply = await send(agent, { method: 'POST', body: `request ${index}` });
      if (reply.body.toString() !== `request ${index}`) throw new Error(`request ${index} got ${reply.body.toString()}`);
    }
    const hubSession = mesh.hub.peers.get('laptop')!;
    const laptopSession = mesh.laptop.peers.get('hub')!;
    await waitFor(() => hubSession.streamCount === 0 && laptopSession.streamCount === 0, 'stream tables to empty');
    agent.destroy();
    // A count, not a speed: on a loaded shared machine 10 000 round trips can pass the default 30 s.
  }, 120_000);

  it('holds about one window for a paused reader and resumes without loss', async () => {
    const total = 16 * 1024 * 1024;
    let written = 0;
    mesh = await startMesh({
      laptopHandler: (_request, response) => {
        response.writeHead(200, { 'content-length': total });
        const pump = (): void => {
          while (written < total) {
            written += 64 * 1024;
            if (!response.write(Buffer.alloc(64 * 1024, (written / (64 * 1024)) & 0xff))) return void response.once('drain', pump);
          }
          response.end();
        };
        pump();
      },
    });
    await waitFor(() => mesh!.hub.peers.isUp('laptop'), 'tunnel up');
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ agent: mesh!.hub.peers.agentFor('laptop'), host: 'peer', path: '/big' }, resolve).on('error', reject);
    });
    response.pause();
    const buffered = (): number => response.readableLength + (response.socket?.readableLength ?? 0);
    await waitFor(() => buffered() >= 200 * 1024, 'the first window');
    const session = mesh.hub.peers.get('laptop')!;
    // Ping round trips are barriers: all the writer could send has arrived after them.
    await session.ping();
    await session.ping();
    expect(buffered()).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    expect(written).toBeLessThan(total);
    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    await new Promise((resolve) => response.once('end', resolve).resume());
    expect(received).toBe(total);
  });

  it('lets the server close idle keep-alive streams, freeing both tables', async () => {
    mesh = await startMesh({ laptopHandler: echoHandler(peerNameOfSocket) });
    mesh.laptop.server.keepAliveTimeout = 50;
    await waitFor(() => mesh!.hub.peers.isUp('laptop'), 'tunnel up');
    await send(mesh.hub.peers.agentFor('laptop'), { method: 'POST', body: 'once' });
    const hubSession = mesh.hub.peers.get('laptop')!;
    const laptopSession = mesh.laptop.peers.get('hub')!;
    expect(hubSession.streamCount).toBe(1);
    await waitFor(() => hubSession.streamCount === 0 && laptopSession.streamCount === 0, 'idle stream to close');
  });

  it('closes a session with pooled idle streams without waiting out the grace period', async () => {
    // A grace period longer than the test timeout: only the idle-stream cleanup can end this.
    mesh = await startMesh({
      laptopHandler: echoHandler(peerNameOfSocket),
      hubHandler: echoHandler(peerNameOfSocket),
      session: { closeGraceMs: 120_000 },
    });
    await waitFor(() => mesh!.hub.peers.isUp('laptop') && mesh!.laptop.peers.isUp('hub'), 'tunnel up');
    await send(mesh.hub.peers.agentFor('laptop'), { method: 'POST', body: 'pooled at the hub' });
    await send(mesh.laptop.peers.agentFor('hub'), { method: 'POST', body: 'pooled at the laptop' });
    const laptopSession = mesh.laptop.peers.get('hub')!;
    await mesh.hub.peers.get('laptop')!.close();
    await laptopSession.closed();
  });
});
