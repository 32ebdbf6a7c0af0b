/**
 * Issue 15, attribution against the simulator: three users on a two-account pool, every request
 * raising its account's windows by the same known step. What each user is charged must match the
 * steps its requests caused (within the header's rounding), whether the requests run at once,
 * straddle a window reset, or straddle a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerLines, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { LONG_PROMPT, postMessage, statusOf, userConfig, USERS, type UserName } from './sharing-helpers.ts';

/** The simulator's headers round utilization to 0.01 %; each claim is off by at most that. */
const HEADER_ROUNDING_PERCENT = 0.01;

describe('attribution (issue 15)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('charges each user the steps its own requests caused: concurrent, across a window reset, across a restart', async () => {
    harness = await startHarness({
      accounts: [
        { id: 'a1', plan: 'pro' },
        { id: 'a2', plan: 'pro' },
      ],
      config: { users: userConfig({}) },
    });
    const h = harness;
    await waitFor(() => h.node.pools.claude?.allSnapshots(Date.now()).every((snapshot) => snapshot.hasData), 'both accounts polled');

    // The step: one request's rise on its account (same prompt, same answer length for a1 and a2).
    const before = h.sim.accounts.map((account) => ({ fiveHour: account.fiveHourUtilization, weekly: account.weeklyUtilization }));
    await postMessage(h.node.url, USERS.alice, LONG_PROMPT);
    const after = h.sim.accounts.map((account) => ({ fiveHour: account.fiveHourUtilization, weekly: account.weeklyUtilization }));
    const step = {
      fiveHour: after.reduce((sum, now, index) => sum + now.fiveHour - (before[index]?.fiveHour ?? 0), 0),
      weekly: after.reduce((sum, now, index) => sum + now.weekly - (before[index]?.weekly ?? 0), 0),
    };
    expect(step.fiveHour).toBeGreaterThan(1);
    // Two pro accounts (weight 1 each): one percent of one account is half a point of the route.
    const pointsPerRequest = { fiveHour: step.fiveHour / 2, weekly: step.weekly / 2 };
    const sent: Record<UserName, number> = { alice: 1, bob: 0, carol: 0 };

    // 1. Concurrently: 4 requests per user, all 12 at once.
    await Promise.all(
      (['alice', 'bob', 'carol'] as const).flatMap((user) =>
        Array.from({ length: 4 }, () => postMessage(h.node.url, USERS[user], LONG_PROMPT).then(() => (sent[user] += 1))),
      ),
    );
    expectCharged(h, sent, pointsPerRequest);

    // 2. Both accounts' 5-hour windows reset (a later reset time, utilization back to 0).
    for (const id of ['a1', 'a2']) {
      const reset = await fetch(`${h.sim.url}/_sim/accounts/${id}/usage`, {
        method: 'POST',
        body: JSON.stringify({ fiveHourUtilization: 0, fiveHourResetAtMs: Date.now() + 6 * 3600_000 }),
      });
      expect(reset.status).toBe(200);
    }
    for (const user of ['alice', 'bob', 'carol'] as const) {
      await postMessage(h.node.url, USERS[user], LONG_PROMPT);
      sent[user] += 1;
    }
    expectCharged(h, sent, pointsPerRequest);

    // 3. A restart: the consumption so far is read back, and new requests add to it.
    await h.restartNode();
    for (const user of ['alice', 'bob', 'carol'] as const) {
      await postMessage(h.node.url, USERS[user], LONG_PROMPT);
      sent[user] += 1;
    }
    expectCharged(h, sent, pointsPerRequest);
    for (const user of ['alice', 'bob', 'carol'] as const) {
      const status = await statusOf(h.node.url, USERS[user]);
      const tolerance = sent[user] * HEADER_ROUNDING_PERCENT;
      expect(Math.abs(status.my_five_hour_percent - sent[user] * pointsPerRequest.fiveHour)).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(status.my_weekly_percent - sent[user] * pointsPerRequest.weekly)).toBeLessThanOrEqual(tolerance);
      expect(status.my_limits).toEqual({ five_hour_percent: null, weekly_percent: null });
      expect(status.my_retry_at).toBe(0);
    }
    // The admin's scrape shows every user's consumption.
    const metrics = await (await fetch(`${h.node.url}/metrics`, { headers: { authorization: `Bearer ${h.adminToken}` } })).text();
    const alice = /quotamesh_caller_consumption_percent\{provider="claude",caller="alice",kind="user",window="five_hour"\} ([\d.]+)/.exec(
      metrics,
    );
    expect(Number(alice?.[1])).toBeCloseTo((await statusOf(h.node.url, USERS.alice)).my_five_hour_percent, 6);
  });
});

/** The ledger's points per user match the steps its requests caused. */
function expectCharged(harness: Harness, sent: Record<UserName, number>, pointsPerRequest: { fiveHour: number; weekly: number }): void {
  const lines = ledgerLines(harness);
  for (const user of ['alice', 'bob', 'carol'] as const) {
    const mine = lines.filter((line) => line['user'] === user);
    expect(mine).toHaveLength(sent[user]);
    const charged = {
      fiveHour: mine.reduce((sum, line) => sum + Number(line['points_5h']), 0),
      weekly: mine.reduce((sum, line) => sum + Number(line['points_weekly']), 0),
    };
    const tolerance = sent[user] * HEADER_ROUNDING_PERCENT;
    expect(Math.abs(charged.fiveHour - sent[user] * pointsPerRequest.fiveHour), `${user} 5h`).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(charged.weekly - sent[user] * pointsPerRequest.weekly), `${user} weekly`).toBeLessThanOrEqual(tolerance);
  }
}
