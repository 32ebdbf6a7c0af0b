/**
 * Issue 15, enforcement: a user at `five_hour_percent: 10` is refused with 429 in Anthropic's
 * shape and the real time enough of its consumption ages out, and is served again at that time.
 * The node runs on a manual clock so five hours pass at once; the simulator keeps real time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { LONG_PROMPT, postMessage, sendOk, statusOf, userConfig, USERS } from './sharing-helpers.ts';

const MINUTE_MS = 60_000;
const FIVE_HOURS_MS = 5 * 3600_000;

describe('caller limits (issue 15)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('refuses a user over five_hour_percent until its oldest consumption ages out, then serves it again', async () => {
    const clock = new ManualClock();
    harness = await startHarness({
      accounts: [
        { id: 'a1', plan: 'pro' },
        { id: 'a2', plan: 'pro' },
      ],
      config: { users: userConfig({ carol: { five_hour_percent: 10 } }) },
      nodeOptions: { clock },
    });
    const h = harness;
    // The usage poll waits on the manual clock: alice's requests give both accounts a level first
    // (a credential's first reading is its baseline, nobody's consumption).
    await waitFor(async () => {
      await sendOk(h.node.url, USERS.alice, LONG_PROMPT);
      return h.node.pools.claude?.allSnapshots(clock.now()).every((snapshot) => snapshot.hasData);
    }, 'both accounts seen');
    const startMs = clock.now();
    // Each request is about 3 points of the route (6 % of one of two pro accounts): under 10
    // after three, over after four.
    let charged = 0;
    for (let index = 0; index < 4; index += 1) {
      expect((await statusOf(h.node.url, USERS.carol)).my_retry_at).toBe(0);
      await sendOk(h.node.url, USERS.carol, LONG_PROMPT);
      charged = (await statusOf(h.node.url, USERS.carol)).my_five_hour_percent;
      clock.advance(MINUTE_MS);
    }
    expect(charged).toBeGreaterThanOrEqual(10);

    // Over the limit: the first request aged out (at start + 5 h) brings carol back under 10.
    const refused = await postMessage(h.node.url, USERS.carol, LONG_PROMPT);
    expect(refused.status).toBe(429);
    const retryAtMs = startMs + FIVE_HOURS_MS;
    expect(refused.headers.get('retry-after')).toBe(String((retryAtMs - clock.now()) / 1000));
    const body = JSON.parse(refused.body) as {
      type: string;
      error: { type: string; message: string };
    };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toContain('five_hour_percent');
    const status = await statusOf(h.node.url, USERS.carol);
    expect(status.my_limits).toEqual({ five_hour_percent: 10, queue_timeout_ms: 30_000 });
    expect(status.my_retry_at).toBe(retryAtMs / 1000);
    // The others are not held by carol's limit.
    await sendOk(h.node.url, USERS.alice, LONG_PROMPT);

    // One second before the oldest request ages out: still refused; at that moment: served.
    clock.set(retryAtMs - 1000);
    expect((await postMessage(h.node.url, USERS.carol, LONG_PROMPT)).status).toBe(429);
    clock.set(retryAtMs);
    await sendOk(h.node.url, USERS.carol, LONG_PROMPT);
  });
});
