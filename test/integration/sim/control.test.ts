import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimStateSnapshot, type Simulator } from '../../../src/sim/index.ts';
import { postMessages } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${(sim as Simulator).url}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('/_sim/ control API', () => {
  it('scripts faults over HTTP', async () => {
    sim = await startSimulator({ accounts: [{ id: 'a' }] });
    const queued = await control('POST', 'script', { entries: [{ fault: { type: 'overloaded' } }] });
    expect(await queued.json()).toMatchObject({ queued: 1 });
    expect((await postMessages(sim, sim.account('a').accessToken)).status).toBe(529);
  });

  it('rejects a bad batch without queueing any of it', async () => {
    sim = await startSimulator();
    const response = await control('POST', 'script', [{ fault: { type: 'overloaded' } }, { fault: { type: 'nope' } }]);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/fault.type/) });
    expect(sim.state().pendingFaults).toEqual([]);
  });

  it('reports accounts and counters in /_sim/state', async () => {
    sim = await startSimulator({ accounts: [{ id: 'a', plan: 'pro' }] });
    await postMessages(sim, sim.account('a').accessToken);
    const state = (await (await control('GET', 'state')).json()) as SimStateSnapshot;
    expect(state.accounts[0]).toMatchObject({ id: 'a', plan: 'pro', counters: { messages: 1, refreshes: 0 } });
    expect(state.accounts[0]?.fiveHourUtilization).toBeGreaterThan(0);
    expect(state.receivedCount).toBe(1);
  });

  it('sets usage, expires and revokes accounts', async () => {
    sim = await startSimulator({ accounts: [{ id: 'a' }, { id: 'b' }] });
    const resetAtMs = Date.now() + 60_000;
    const updated = await control('POST', 'accounts/a/usage', { fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs });
    expect(await updated.json()).toMatchObject({ fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs });
    expect((await postMessages(sim, sim.account('a').accessToken)).status).toBe(429);

    await control('POST', 'accounts/b/expire');
    expect((await postMessages(sim, sim.account('b').accessToken)).status).toBe(401);
    await control('POST', 'accounts/b/revoke');
    expect(sim.account('b').isRevoked).toBe(true);
  });

  it('serves and clears the request log without logging itself', async () => {
    sim = await startSimulator();
    await postMessages(sim, 'whatever');
    const log = (await (await control('GET', 'requests')).json()) as Array<{ path: string }>;
    expect(log.map((entry) => entry.path)).toEqual(['/v1/messages?beta=true']);
    await control('DELETE', 'requests');
    expect(sim.received).toHaveLength(0);
  });

  it.each([
    ['unknown account', 'POST', 'accounts/nobody/expire', 400],
    ['unknown route', 'GET', 'nothing', 404],
  ])('%s → %s', async (_name, method, path, status) => {
    sim = await startSimulator();
    expect((await control(method, path)).status).toBe(status);
  });
});
