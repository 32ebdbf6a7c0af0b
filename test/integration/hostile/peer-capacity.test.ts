/**
 * Issue 11, item 7: a peer lies about its capacity. It claims plan weight 1 000 000 at 0 % use,
 * then 1e308. The hub (a real process) counts at most the peer's max_plan_weight (default 20),
 * refuses the out-of-range frame, keeps every status number finite, and a bound below its own
 * account keeps its local user's requests (prompts included) at home.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import {
  adminStatus,
  answerWatch,
  linkFakePeer,
  MiB,
  pooledHubConfig,
  postMessage,
  residentBytes,
  startHubProcess,
  statusFrame,
  userStatus,
  type FakePeer,
  type HubSetup,
} from './peer-harness.ts';

const LIAR_TOKEN = 'liar-peer-token-0123456789-abcde';
const BOB = 'bob-token-0123456789-abcdefghijk';
const MAX_RSS_GROWTH = 40 * MiB;

function hubWith(liar: Record<string, unknown>) {
  return pooledHubConfig([{ name: 'liar', token: LIAR_TOKEN, ...liar }]);
}

/** Every number finite and none null (`peer` is null by contract for the node's own credentials). */
function expectFiniteNumbers(value: unknown, path = 'status'): void {
  if (value === null && !path.endsWith('.peer')) throw new Error(`${path} is null`);
  if (typeof value === 'number') expect(Number.isFinite(value), path).toBe(true);
  if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) expectFiniteNumbers(item, `${path}.${key}`);
}

describe('a peer claiming 1 000 000, then 1e308 (default max_plan_weight)', () => {
  let setup: HubSetup;
  let liar: FakePeer;
  let watch: http.ServerResponse | undefined;

  beforeAll(async () => {
    setup = await startHubProcess(hubWith({}));
    liar = linkFakePeer({
      hubUrl: setup.hub.url,
      name: 'liar',
      token: LIAR_TOKEN,
      onWatch: (response) => {
        watch = response;
        answerWatch({ plan_weight: 1_000_000 })(response);
      },
    });
  });
  afterAll(async () => {
    await liar?.kill();
    await setup?.close([LIAR_TOKEN, BOB]);
  });

  it('counts the claim as 20, and a 1e308 frame is refused without touching the aggregate', async () => {
    // The hub's own max20x account weighs 10; the liar is held to the default 20.
    await waitFor(async () => (await userStatus(setup.hub)).plan_weight === 30, {
      message: 'the aggregate plan weight to be 30',
      timeoutMs: 20_000,
    });
    const baseline = await residentBytes(setup.hub.pid);
    const rows = (await adminStatus(setup.hub)).credentials;
    expect(rows.find((row) => row.tag === 'liar')?.plan_weight).toBe(20);

    // JSON carries 1e308 as a number; the old hub summed it into Infinity, written as null.
    watch?.write(statusFrame({ plan_weight: 1e308 }));
    await waitFor(() => logLines(setup.hub.logs, 'peer status stream stopped').length === 1, {
      message: 'one "peer status stream stopped" log line',
      timeoutMs: 20_000,
    });
    expect(String(logLines(setup.hub.logs, 'peer status stream stopped')[0]?.problem)).toContain('out of range');

    const status = await userStatus(setup.hub);
    expectFiniteNumbers(status);
    expect(status).toMatchObject({ plan_weight: 30, state: 'usable' });
    expectFiniteNumbers(await adminStatus(setup.hub));
    for (let index = 0; index < 5; index += 1) expect(await postMessage(setup.hub)).toBe(200);
    expect((await residentBytes(setup.hub.pid)) - baseline).toBeLessThan(MAX_RSS_GROWTH);
  });
});

describe('a peer held to max_plan_weight 5 next to an own account of weight 10', () => {
  let setup: HubSetup;
  let liar: FakePeer;

  beforeAll(async () => {
    setup = await startHubProcess(hubWith({ max_plan_weight: 5 }));
    liar = linkFakePeer({
      hubUrl: setup.hub.url,
      name: 'liar',
      token: LIAR_TOKEN,
      onWatch: answerWatch({ plan_weight: 1_000_000 }),
    });
  });
  afterAll(async () => {
    await liar?.kill();
    await setup?.close([LIAR_TOKEN, BOB]);
  });

  it("no longer draws the local user's requests away from the own account that has room", async () => {
    await waitFor(async () => (await userStatus(setup.hub)).plan_weight === 15, {
      message: 'the aggregate plan weight to be 15',
      timeoutMs: 20_000,
    });
    for (let index = 0; index < 10; index += 1) expect(await postMessage(setup.hub)).toBe(200);
    // Before the bound, the liar's claim won all 10 of 10 (and read their prompts).
    expect(liar.otherRequests).toBe(0);
    expect(setup.sim.received.filter((entry) => entry.path.startsWith('/v1/messages')).length).toBeGreaterThanOrEqual(10);
  });
});
