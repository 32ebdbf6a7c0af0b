/**
 * Issue 15's queues against a real node process, its memory read from /proc: with the one
 * credential at its `max_concurrent`, a flood of requests waits in line. The line is bounded (by
 * the request budget: the requests past it are refused at once), its memory stays bounded, every
 * waiting request whose client leaves leaves the line, and nothing is leaked for the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { held, metric, send, type Sent } from '../limits/limits-client.ts';
import { ADMIN, MiB, residentBytes, startHubProcess, untilWithBoundedMemory, USER, type HubSetup } from './peer-harness.ts';

const BUDGET = 1000;
const FLOOD = 1100;
const BATCH = 100;
/** About 1 000 waiting requests (sockets, parsed heads, small bodies) and the node's own churn. */
const MAX_RSS_GROWTH = 150 * MiB;
const QUEUE = 'quotamesh_credential_queue_depth{provider="claude"}';

let setup: HubSetup;
beforeAll(async () => {
  setup = await startHubProcess(({ simUrl, tokenUrl, hubPath, dir }) => ({
    name: 'hub',
    listen: '127.0.0.1:0',
    state_dir: `${dir}/hub-state`,
    admin_token: ADMIN,
    users: [{ name: 'alice', token: USER, limits: { queue_timeout_ms: 600_000 } }],
    request_budget: { concurrent: BUDGET, per_caller_concurrent: BUDGET },
    claude: {
      api_url: simUrl,
      oauth_url: tokenUrl,
      credentials: [{ tag: 'hub-a', type: 'default', path: hubPath, max_concurrent: 1 }],
    },
  }));
});
afterAll(async () => {
  await setup?.close();
});

describe('requests waiting for a credential slot (real node process)', () => {
  it(`${FLOOD} requests over a full credential: the line is bounded in length and memory, and leaving empties it`, async () => {
    const { hub, sim } = setup;
    expect(await send(hub.url, USER).status).toBe(200);
    sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const holder = await held(hub.url, USER);
    const baseline = await residentBytes(hub.pid);
    const flood: Sent[] = [];
    const statuses: number[] = [];
    const sending = (async () => {
      for (let sent = 0; sent < FLOOD; sent += BATCH) {
        for (let index = 0; index < BATCH; index += 1) {
          const request = send(hub.url, USER);
          request.response.then((response) => statuses.push(response.status)).catch(() => {});
          flood.push(request);
        }
        // Each batch has arrived (waiting or answered) before the next connects.
        await waitFor(async () => (await metric(hub.url, ADMIN, QUEUE)) + statuses.length >= flood.length, {
          message: `${flood.length} requests to arrive`,
          timeoutMs: 60_000,
        });
      }
    })();
    const peak = await untilWithBoundedMemory(
      hub.pid,
      baseline,
      MAX_RSS_GROWTH,
      async () => statuses.length === FLOOD - (BUDGET - 1) && (await metric(hub.url, ADMIN, QUEUE)) === BUDGET - 1,
      180_000,
    );
    await sending;
    // The holder and 999 waiting fill alice's budget of 1 000; the other 101 were refused at once.
    expect(statuses.every((status) => status === 429)).toBe(true);
    console.log(`RSS growth peak ${(peak / MiB).toFixed(1)} MiB with ${BUDGET - 1} requests waiting for a slot`);
    flood.forEach((request) => request.abort());
    await waitFor(async () => (await metric(hub.url, ADMIN, QUEUE)) === 0, {
      message: 'every abandoned request to leave the line',
      timeoutMs: 60_000,
    });
    holder.abort();
    await waitFor(
      async () => (await metric(hub.url, ADMIN, 'quotamesh_credential_in_flight{provider="claude",credential="hub-a"}')) === 0,
      'the slot to be free',
    );
    expect(await send(hub.url, USER).status).toBe(200);
  }, 300_000);
});
