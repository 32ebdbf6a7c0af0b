/**
 * Issue 15, per credential: `max_concurrent` on default credentials. The balancer sends a request
 * to a credential with room while another is full; when every usable one is full the request
 * waits in the pool's bounded line and is served when a slot frees, or refused with 503 in
 * Claude's shape once the caller's queue_timeout_ms passes. And a flood of 1 000 requests over a
 * credential's cap all get an answer (the old hidden http.Agent queue held request 257 for minutes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ledgerLines, startHarness, USER_TOKEN, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { held, metric, metricBecomes, send } from './limits-client.ts';

const BOB = 'bob-token-0123456789-abcdefghijk';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Two accounts, each `max_concurrent: 1`, in a least-used balancer; bob waits at most 300 ms. */
async function twoCappedAccounts(): Promise<Harness> {
  return startHarness({
    chunkDelayMs: 0,
    accounts: [
      { id: 'a', plan: 'max20x' },
      { id: 'b', plan: 'max20x' },
    ],
    claude: (credentials) => ({
      route: 'pool',
      credentials: [
        ...credentials.map((credential) => ({ ...credential, max_concurrent: 1 })),
        { tag: 'pool', type: 'balancer', credentials: credentials.map((credential) => credential.tag) },
      ],
    }),
    config: {
      users: [
        { name: 'alice', token: USER_TOKEN },
        { name: 'bob', token: BOB, limits: { queue_timeout_ms: 300 } },
      ],
    },
  });
}

const inFlight = (tag: string): string => `quotamesh_credential_in_flight{provider="claude",credential="${tag}"}`;

async function busyTag(node: Harness): Promise<string> {
  return waitFor(async () => {
    for (const tag of ['a', 'b']) if ((await metric(node.node.url, ADMIN_TOKEN, inFlight(tag))) === 1) return tag;
    return undefined;
  }, 'one credential to carry the held request');
}

describe('max_concurrent on default credentials', () => {
  it('the balancer prefers the credential with room', async () => {
    harness = await twoCappedAccounts();
    const url = harness.node.url;
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const first = await held(url, USER_TOKEN);
    const full = await busyTag(harness);
    for (let index = 0; index < 3; index += 1) expect(await send(url, USER_TOKEN).status).toBe(200);
    // The ledger line is written as the response closes, which may be just after the client read it.
    const served = await waitFor(() => {
      const lines = ledgerLines(harness!).filter((line) => line['status'] === 200);
      return lines.length >= 3 ? lines : undefined;
    }, 'three ledger lines');
    expect(served.map((line) => line['credential'])).toEqual(Array(3).fill(full === 'a' ? 'b' : 'a'));
    first.abort();
  });

  it('with every credential full the request waits, and is served when a slot frees', async () => {
    harness = await twoCappedAccounts();
    const url = harness.node.url;
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 }, times: 2 });
    const first = await held(url, USER_TOKEN);
    const second = await held(url, USER_TOKEN);
    expect(await metric(url, ADMIN_TOKEN, 'quotamesh_credentials_at_cap{provider="claude"}')).toBe(2);
    const waiting = send(url, USER_TOKEN);
    await metricBecomes(url, ADMIN_TOKEN, 'quotamesh_credential_queue_depth{provider="claude"}', 1);
    first.abort();
    expect(await waiting.status).toBe(200);
    second.abort();
    await metricBecomes(url, ADMIN_TOKEN, 'quotamesh_credentials_at_cap{provider="claude"}', 0);
  });

  it('with every credential full past queue_timeout_ms the request gets 503 overloaded in Claude’s shape', async () => {
    harness = await twoCappedAccounts();
    const url = harness.node.url;
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 }, times: 2 });
    const holds = [await held(url, USER_TOKEN), await held(url, USER_TOKEN)];
    const refused = await send(url, BOB).response;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { type: string; error: { type: string; message: string } };
    expect(body.error.type).toBe('overloaded_error');
    expect(body.error.message).toContain('max_concurrent');
    expect(await metric(url, ADMIN_TOKEN, 'quotamesh_credential_queue_depth{provider="claude"}')).toBe(0);
    holds.forEach((request) => request.abort());
  });
});

describe('a flood over one credential’s cap', () => {
  it('1 000 requests all get an answer: they wait in line, then are served in turn or refused after the wait', async () => {
    const REQUESTS = 1000;
    const CAP = 4;
    harness = await startHarness({
      chunkDelayMs: 0,
      claude: (credentials) => ({ credentials: credentials.map((credential) => ({ ...credential, max_concurrent: CAP })) }),
      config: {
        users: [{ name: 'alice', token: USER_TOKEN, limits: { queue_timeout_ms: 120_000 } }],
        request_budget: { concurrent: 2000, per_caller_concurrent: 2000 },
      },
    });
    const url = harness.node.url;
    // The credential's every slot is taken by a request the simulator holds open.
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 }, times: CAP });
    const holds = [];
    for (let index = 0; index < CAP; index += 1) holds.push(await held(url, USER_TOKEN));
    const flood = Array.from({ length: REQUESTS }, () => send(url, USER_TOKEN).status);
    await waitFor(async () => (await metric(url, ADMIN_TOKEN, 'quotamesh_credential_queue_depth{provider="claude"}')) === REQUESTS, {
      message: `all ${REQUESTS} requests to wait in line`,
      timeoutMs: 120_000,
    });
    expect(await metric(url, ADMIN_TOKEN, inFlight('a'))).toBe(CAP);
    holds.forEach((request) => request.abort());
    const statuses = await Promise.all(flood);
    const counts = new Map<number, number>();
    for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
    console.log(`${REQUESTS} requests over max_concurrent ${CAP}: ${JSON.stringify(Object.fromEntries(counts))}`);
    expect([...counts.keys()].filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect((counts.get(200) ?? 0) + (counts.get(503) ?? 0)).toBe(REQUESTS);
    expect(counts.get(200) ?? 0).toBeGreaterThanOrEqual(CAP);
    await metricBecomes(url, ADMIN_TOKEN, inFlight('a'), 0);
    expect(await metric(url, ADMIN_TOKEN, 'quotamesh_credential_queue_depth{provider="claude"}')).toBe(0);
  }, 300_000);
});
