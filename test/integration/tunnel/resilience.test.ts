import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { peerNameOfSocket } from '../../../src/tunnel/index.ts';
import { seededRandom } from '../../unit/tunnel/helpers.ts';
import { echoHandler, send, startMesh, type Handler, type Mesh } from './mesh.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

/** Answers with headers, then holds the response open until the connection goes. */
const holdOpen =
  (held: http.ServerResponse[]): Handler =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: open\n\n');
    held.push(response);
  };

/** Starts a request that stays open; resolves once headers arrived, with its eventual outcome. */
async function openRequest(agent: http.Agent): Promise<{ outcome: Promise<string> }> {
  return new Promise((resolveHeaders, rejectHeaders) => {
    const request = http.get({ agent, host: 'peer', path: '/hold' }, (response) => {
      resolveHeaders({
        outcome: new Promise<string>((resolve) => {
          response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          response.on('aborted', () => resolve('aborted'));
          response.on('end', () => resolve('ended'));
          response.resume();
        }),
      });
    });
    request.on('error', rejectHeaders);
  });
}

describe('tunnel resilience', () => {
  it('fails every open stream on both sides when the peer dies mid-stream', async () => {
    const heldByHub: http.ServerResponse[] = [];
    const heldByLaptop: http.ServerResponse[] = [];
    mesh = await startMesh({ hubHandler: holdOpen(heldByHub), laptopHandler: holdOpen(heldByLaptop) });
    await waitFor(() => mesh!.hub.peers.isUp('laptop') && mesh!.laptop.peers.isUp('hub'), 'tunnel up');
    const requests = await Promise.all([
      ...Array.from({ length: 5 }, () => openRequest(mesh!.laptop.peers.agentFor('hub'))),
      ...Array.from({ length: 5 }, () => openRequest(mesh!.hub.peers.agentFor('laptop'))),
    ]);
    expect([heldByHub.length, heldByLaptop.length]).toEqual([5, 5]);
    const laptopSession = mesh.laptop.peers.get('hub')!;
    const laptopClosed = new Promise<Error | undefined>((resolve) => laptopSession.once('close', resolve));
    // The hub's process dies: its sockets close without a GoAway.
    for (const socket of mesh.hub.sockets) socket.destroy();
    // Detected from the transport at once, not by the 45 s keepalive.
    expect(await laptopClosed).toMatchObject({ code: 'tunnel_closed' });
    expect(await Promise.all(requests.map((request) => request.outcome))).toEqual(Array(10).fill('aborted'));
    // Neither side keeps serving a stream of the dead tunnel.
    await waitFor(() => [...heldByHub, ...heldByLaptop].every((response) => response.destroyed), 'held responses on both sides to close');
  });

  it('detects a frozen peer (socket open, nothing forwarded) by keepalive', async () => {
    mesh = await startMesh({ viaProxy: true, session: { keepaliveIntervalMs: 100, keepaliveTimeoutMs: 300 } });
    await waitFor(() => mesh!.hub.peers.isUp('laptop') && mesh!.laptop.peers.isUp('hub'), 'tunnel up');
    const hubSession = mesh.hub.peers.get('laptop')!;
    const laptopSession = mesh.laptop.peers.get('hub')!;
    const closes = Promise.all([hubSession, laptopSession].map((session) => new Promise((resolve) => session.once('close', resolve))));
    mesh.proxy!.freeze();
    expect(await closes).toEqual([
      expect.objectContaining({ code: 'keepalive_timeout' }),
      expect.objectContaining({ code: 'keepalive_timeout' }),
    ]);
  });

  it('reconnects after the acceptor restarts, on the first dial, ten times in a row', async () => {
    mesh = await startMesh({
      laptopHandler: echoHandler(peerNameOfSocket),
      // Production backoff (1 s, +50 % jitter, seeded). Each restart models a separate outage,
      // as restarts more than a minute apart are, so any tunnel counts as long-lived here.
      reconnect: { resetAfterMs: 0, random: seededRandom(7) },
    });
    const waits: number[] = [];
    mesh.laptop.dialer.on('waiting', (delayMs) => waits.push(delayMs));
    const recoveryMs: number[] = [];
    for (let restart = 0; restart < 10; restart++) {
      await waitFor(() => mesh!.hub.peers.isUp('laptop'), 'tunnel up');
      await send(mesh.hub.peers.agentFor('laptop'), { method: 'POST', body: 'before' });
      await waitFor(() => mesh!.laptop.dialer.session !== undefined, 'laptop session');
      const startedAt = performance.now();
      await mesh.restartHub();
      const reply = await waitFor(
        async () =>
          mesh!.hub.peers.isUp('laptop') &&
          (await send(mesh!.hub.peers.agentFor('laptop'), { method: 'POST', body: 'after' })).body.toString(),
        'a reply through the restored tunnel',
      );
      recoveryMs.push(performance.now() - startedAt);
      expect(reply).toBe('after');
    }
    // One wait per restart, each the first step of the schedule: no dial was wasted.
    expect(waits).toHaveLength(10);
    for (const delayMs of waits) expect(delayMs).toBeLessThanOrEqual(1500);
    const sorted = [...recoveryMs].sort((left, right) => left - right);
    console.info(`tunnel recovery after acceptor restart: p50 ${sorted[4]!.toFixed(0)} ms, p95 ${sorted[9]!.toFixed(0)} ms`);
  });
});
