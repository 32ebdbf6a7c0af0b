/**
 * Issue 15 through the tunnel: the hub holds a peer to its `peers[].limits` whichever way its
 * requests come. The laptop's user draws only on the hub; the hub sees those requests, arriving
 * over the laptop's tunnel, as peer `laptop`, queues the one over `concurrent` and refuses it
 * after queue_timeout_ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMesh, TOKENS, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { held, metric, metricBecomes, send } from './limits-client.ts';

let mesh: Mesh;
beforeAll(async () => {
  mesh = await startMesh({ laptopLimits: { concurrent: 1, queue_timeout_ms: 1_000 }, laptopUserRoute: 'hub' });
  await tunnelUp(mesh.hub, 'laptop');
  await tunnelUp(mesh.laptop, 'hub');
  // The laptop has read the hub's capacity (its status stream) and is served through it.
  await waitFor(async () => (await send(mesh.laptop.url, TOKENS.laptopUser).status) === 200, 'the laptop to be served through the hub');
});
afterAll(async () => {
  await mesh?.close();
});

describe('peers[].limits through the tunnel', () => {
  it('a peer over its concurrent limit waits at the hub, then is refused', async () => {
    const hubUrl = mesh.hub.url;
    mesh.sim.script({ account: 'hub-a', fault: { type: 'stall', afterEvents: 1 } });
    const first = await held(mesh.laptop.url, TOKENS.laptopUser);
    expect(await metric(hubUrl, TOKENS.admin, 'quotamesh_caller_in_flight{caller="peer:laptop"}')).toBe(1);
    const second = send(mesh.laptop.url, TOKENS.laptopUser);
    await metricBecomes(hubUrl, TOKENS.admin, 'quotamesh_caller_queue_depth{caller="peer:laptop"}', 1);
    const refused = await second.response;
    expect(refused.status).toBe(429);
    await refused.arrayBuffer();
    expect(await metric(hubUrl, TOKENS.admin, 'quotamesh_limit_refusals_total{caller="peer:laptop",limit="concurrent"}')).toBe(1);
    // The hub's own users are not held to the laptop's limit.
    const own = await send(hubUrl, TOKENS.bob).status;
    expect(own).toBe(200);
    first.abort();
    await metricBecomes(hubUrl, TOKENS.admin, 'quotamesh_caller_in_flight{caller="peer:laptop"}', 0);
  });
});
