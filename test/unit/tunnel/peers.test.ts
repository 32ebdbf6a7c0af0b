import { afterEach, describe, expect, it } from 'vitest';
import { PeerSessions } from '../../../src/tunnel/peers.ts';
import type { YamuxSession } from '../../../src/tunnel/yamux/session.ts';
import { sessionPair } from './helpers.ts';

const sessions: YamuxSession[] = [];
afterEach(() => {
  for (const session of sessions.splice(0)) session.destroy();
});

function liveSession(): YamuxSession {
  const { client, server } = sessionPair();
  sessions.push(client, server);
  return client;
}

describe('PeerSessions', () => {
  it('lets the newest session win and closes the older one', async () => {
    const peers = new PeerSessions();
    const events: string[] = [];
    peers.on('up', (name) => events.push(`up ${name}`));
    peers.on('down', (name) => events.push(`down ${name}`));
    const first = liveSession();
    const second = liveSession();
    peers.add('bob', first);
    peers.add('bob', second);
    await first.closed();
    expect(peers.get('bob')).toBe(second);
    expect(events).toEqual(['up bob', 'up bob']);
    second.destroy();
    expect(peers.isUp('bob')).toBe(false);
    expect(events).toEqual(['up bob', 'up bob', 'down bob']);
    await peers.close();
  });

  it('closes sessions added after close', async () => {
    const peers = new PeerSessions();
    await peers.close();
    const late = liveSession();
    peers.add('bob', late);
    await late.closed();
    expect(peers.isUp('bob')).toBe(false);
  });

  it('refuses to open a stream to a peer without a tunnel', () => {
    const peers = new PeerSessions();
    expect(() => peers.openStream('nobody')).toThrow(expect.objectContaining({ code: 'tunnel_unavailable' }));
  });
});
