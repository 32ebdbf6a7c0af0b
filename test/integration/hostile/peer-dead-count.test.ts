/**
 * Issue 11, item 9: 50 laptops linked to a hub (a real process), 10 of them killed. Their rows
 * turn unavailable, and the hub's aggregate plan weight drops by their weight: a credential that
 * cannot take a request contributes no capacity. The hub's local user is served throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type FakePeer,
  type HubSetup,
} from './peer-harness.ts';

const LAPTOPS = 50;
const KILLED = 10;
const LAPTOP_WEIGHT = 10;
const OWN_WEIGHT = 10;
const MAX_RSS_GROWTH = 40 * MiB;
const names = Array.from({ length: LAPTOPS }, (_, index) => `laptop-${String(index).padStart(2, '0')}`);
const tokenOf = (name: string): string => `${name}-link-token-0123456789`;

let setup: HubSetup;
const laptops: FakePeer[] = [];

beforeAll(async () => {
  setup = await startHubProcess(
    pooledHubConfig(
      names.map((name) => ({ name, token: tokenOf(name) })),
      { alice: { claude: 'hub-a' } },
    ),
  );
  for (const name of names) {
    laptops.push(
      linkFakePeer({
        hubUrl: setup.hub.url,
        name,
        token: tokenOf(name),
        onWatch: answerWatch({ plan_weight: LAPTOP_WEIGHT, five_hour_utilization: 20, weekly_utilization: 30 }),
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(laptops.map((laptop) => laptop.kill()));
  await setup?.close(names.map(tokenOf));
});

describe('dead peers in the aggregate', () => {
  it('drops the weight of 10 killed laptops of 50, and keeps serving the local user', async () => {
    const allWeight = OWN_WEIGHT + LAPTOPS * LAPTOP_WEIGHT;
    await waitFor(async () => (await adminStatus(setup.hub)).plan_weight === allWeight, {
      message: 'every laptop to count in the aggregate',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(await postMessage(setup.hub)).toBe(200);
    const baseline = await residentBytes(setup.hub.pid);

    const killed = laptops.slice(0, KILLED);
    await Promise.all(killed.map((laptop) => laptop.kill()));

    const status = await waitFor(
      async () => {
        const current = await adminStatus(setup.hub);
        return current.plan_weight === allWeight - KILLED * LAPTOP_WEIGHT ? current : undefined;
      },
      { message: 'the killed laptops to leave the aggregate', timeoutMs: 30_000, intervalMs: 100 },
    );
    const down = new Set(names.slice(0, KILLED));
    for (const row of status.credentials) {
      if (down.has(row.tag)) expect(row.state, row.tag).toBe('unavailable');
      else expect(row.state, row.tag).toBe('usable');
    }
    for (let index = 0; index < 5; index += 1) expect(await postMessage(setup.hub)).toBe(200);
    expect((await residentBytes(setup.hub.pid)) - baseline).toBeLessThan(MAX_RSS_GROWTH);
  }, 120_000);
});
