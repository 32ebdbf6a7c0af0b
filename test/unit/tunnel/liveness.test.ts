import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serveStreamsWith } from '../../../src/tunnel/http-over-mux.ts';
import { PeerSessions } from '../../../src/tunnel/peers.ts';
import type { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import { sessionPair, type MemoryLink } from './helpers.ts';

const sessions: YamuxSession[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** `laptop` behind PeerSessions; its HTTP server answers after `delayMs`. */
function linkedLaptop(delayMs: number): { peers: PeerSessions; link: MemoryLink; client: YamuxSession } {
  const { client, server, link } = sessionPair({ keepaliveIntervalMs: 0 });
  sessions.push(client, server);
  const laptop = http.createServer((_request, response) => {
    setTimeout(() => response.end('late but alive'), delayMs);
  });
  serveStreamsWith(server, laptop);
  const peers = new PeerSessions({ responseHeadTimeoutMs: 50, pingTimeoutMs: 300 });
  peers.add('laptop', client);
  cleanups.push(
    () => peers.close(),
    () => void laptop.closeAllConnections(),
  );
  return { peers, link, client };
}

function get(peers: PeerSessions): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get('http://laptop.tunnel/', { agent: peers.agentFor('laptop') }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}

describe('liveness of a peer a request waits on', () => {
  it('a slow answer from a live peer only costs pings: the request completes, the tunnel stays', async () => {
    const { peers, client } = linkedLaptop(400);
    expect(await get(peers)).toBe('late but alive');
    expect(client.isClosed).toBe(false);
    expect(peers.isUp('laptop')).toBe(true);
  });

  it('a frozen peer is taken down when its pong does not come, and the request fails with peer_unresponsive', async () => {
    const { peers, link } = linkedLaptop(0);
    const downs: string[] = [];
    peers.on('down', (name) => downs.push(name));
    link.isFrozen = true;
    await expect(get(peers)).rejects.toMatchObject({ code: 'peer_unresponsive' });
    expect(peers.isUp('laptop')).toBe(false);
    expect(downs).toEqual(['laptop']);
  });
});
