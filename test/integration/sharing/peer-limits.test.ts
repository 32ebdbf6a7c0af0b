/**
 * Issue 15: a peer with limits is held to them through its tunnel. The laptop's own account is
 * spent, so its user's requests go down the tunnel to the hub, which attributes them to the peer
 * `laptop` and refuses it (429, retry-after) once its five_hour_percent is used up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, tunnelUp, TOKENS, type Mesh } from '../../helpers/mesh-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { LONG_PROMPT, postMessage } from './sharing-helpers.ts';

interface AdminStatus {
  providers: { claude: { consumers: Array<{ caller: string; kind: string; five_hour_percent: number; five_hour_limit?: number }> } };
}

describe('peer limits through the tunnel (issue 15)', () => {
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  it("refuses the peer at the hub once its requests used its five_hour_percent of the hub's share", async () => {
    mesh = await startMesh({ hubAccount: { plan: 'pro' }, laptopLimits: { five_hour_percent: 10 } });
    const m = mesh;
    await tunnelUp(m.hub, 'laptop');
    await tunnelUp(m.laptop, 'hub');
    m.sim.setUsage('lap-a', { fiveHourUtilization: 100 });
    // The hub's account must have a level before the peer's first request can be charged.
    await waitFor(() => m.hub.pools.claude?.allSnapshots(Date.now()).find((s) => s.tag === 'hub-a')?.hasData, 'hub-a polled');

    // And the laptop must have heard the hub's capacity: until the hub's status frame with real
    // numbers arrives, the laptop reads its external credential as full and answers 503 itself.
    await waitFor(
      () => m.laptop.pools.claude?.allSnapshots(Date.now()).some((s) => s.peer === 'hub' && s.hasData && s.fiveHour.utilization < 100),
      'the laptop to see the hub capacity',
    );

    // Each request is about 6 % of the hub's only shared (pro) account: 6 points of the share.
    const statuses: number[] = [];
    for (let index = 0; index < 4; index += 1) statuses.push((await postMessage(m.laptop.url, TOKENS.laptopUser, LONG_PROMPT)).status);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.slice(2)).toEqual([429, 429]);
    // Refused at the hub's admission: its account never saw the last two.
    expect(m.sim.account('hub-a').counters.messages).toBe(2);

    const admin = (await (
      await fetch(`${m.hub.url}/v1/status`, { headers: { authorization: `Bearer ${TOKENS.admin}` } })
    ).json()) as AdminStatus;
    const laptop = admin.providers.claude.consumers.find((row) => row.caller === 'laptop');
    expect(laptop).toMatchObject({ kind: 'peer', five_hour_limit: 10 });
    expect(laptop?.five_hour_percent).toBeGreaterThanOrEqual(10);
    // The hub's own users are not held by the peer's limit.
    expect((await postMessage(m.hub.url, TOKENS.bob, LONG_PROMPT)).status).toBe(200);
  });
});
