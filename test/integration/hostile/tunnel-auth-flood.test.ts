/**
 * 1 000 wrong-token tunnel handshakes from one address (issue 8): after the limit they are
 * refused with 429 before any signature is checked, the switch is logged once (the log is not
 * flooded), the node stays healthy, and a correct peer from another address still links.
 * Loopback is all of 127/8 on Linux, so the attacker binds 127.0.0.2 and the honest peer 127.0.0.3.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTunnelAcceptor, signAuthorization, type TunnelAcceptor } from '../../../src/tunnel/index.ts';
import { startMesh, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { healthz } from './raw-http.ts';
import { openProbe, tunnelAttempt, type TunnelProbe } from './tunnel-probe.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const PROBE_TOKEN = 'probe-peer-token-0123456789-abcd';
const WRONG_TOKEN = 'wrong-peer-token-0123456789-abcd';
const ATTACKER = '127.0.0.2';
const HONEST = '127.0.0.3';

async function flood(baseUrl: string, attempts: number, localAddress: string): Promise<number[]> {
  const statuses: number[] = new Array<number>(attempts);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < attempts; index = next++) {
      const authorization = signAuthorization({ node: 'probe', token: WRONG_TOKEN, nowMs: Date.now() });
      statuses[index] = await tunnelAttempt(baseUrl, authorization, localAddress);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return statuses;
}

describe('a wrong-token flood against a node', () => {
  let mesh: Mesh;
  const probes: TunnelProbe[] = [];
  beforeAll(async () => {
    mesh = await startMesh({ hubExtra: { peers: [{ name: 'probe', token: PROBE_TOKEN }] } });
    await tunnelUp(mesh.hub, 'laptop');
  });
  afterAll(async () => {
    for (const probe of probes) probe.close();
    await mesh?.close();
  });

  it('refuses 1 000 attempts, all but the first few with 429, and logs the switch once', async () => {
    const statuses = await flood(mesh.hub.url, 1000, ATTACKER);
    const refused = statuses.filter((status) => status === 401).length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBe(1000 - refused);
    const limited = mesh.logs.filter((line) => line.includes('too many failed tunnel handshakes') && line.includes(ATTACKER));
    expect(limited).toHaveLength(1);
    expect(mesh.logs.filter((line) => line.includes('tunnel handshake refused')).length).toBe(refused);
  });

  it('refuses the flooding address even with the right token until its window ends', async () => {
    const authorization = signAuthorization({ node: 'probe', token: PROBE_TOKEN, nowMs: Date.now() });
    expect(await tunnelAttempt(mesh.hub.url, authorization, ATTACKER)).toBe(429);
  });

  it('stays healthy: its other tunnel is up, and a correct peer from another address links', async () => {
    expect(await healthz(mesh.hub.url)).toBe(true);
    expect(mesh.hub.isTunnelUp('laptop')).toBe(true);
    probes.push(await openProbe(mesh.hub.url, { token: PROBE_TOKEN, localAddress: HONEST }));
    await waitFor(() => mesh.hub.isTunnelUp('probe'), 'the honest probe tunnel to come up');
  });
});

describe('a bare acceptor past the limit', () => {
  let server: http.Server | undefined;
  let acceptor: TunnelAcceptor | undefined;
  afterEach(async () => {
    await acceptor?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('refuses without verifying: the peer table is not even read', async () => {
    let peerLookups = 0;
    const created = createTunnelAcceptor({
      peers: () => {
        peerLookups += 1;
        return [{ name: 'probe', token: PROBE_TOKEN }];
      },
      failureLimit: { maxFailures: 3, windowMs: 60_000 },
    });
    acceptor = created;
    server = http.createServer((_request, response) => response.writeHead(404).end());
    server.on('upgrade', (request, socket, head) => created.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const statuses = await flood(url, 20, ATTACKER);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(peerLookups).toBe(3);
  });
});
