/**
 * Issue 15 against a running node and the simulator: a user's `concurrent` limit queues the
 * request over it and then refuses it with 429 in Claude's shape, never holding it silently; a
 * queued request whose client leaves gives its place up; `requests_per_minute` refuses with the
 * real retry-after of a rolling minute (a manual clock moves time, nothing sleeps).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { ADMIN_TOKEN, startHarness, USER_TOKEN, type Harness } from '../../helpers/node-harness.ts';
import { held, metric, metricBecomes, send } from './limits-client.ts';

const BOB = 'bob-token-0123456789-abcdefghijk';
const CAROL = 'carol-token-0123456789-abcdefghi';
const DAVE = 'dave-token-0123456789-abcdefghij';
const clock = new ManualClock(Date.now());

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    chunkDelayMs: 0,
    nodeOptions: { clock },
    config: {
      users: [
        { name: 'alice', token: USER_TOKEN, limits: { concurrent: 1, queue_timeout_ms: 60_000 } },
        { name: 'bob', token: BOB, limits: { concurrent: 1, queue_timeout_ms: 200 } },
        { name: 'carol', token: CAROL, limits: { concurrent: 1 } },
        { name: 'dave', token: DAVE, limits: { requests_per_minute: 2 } },
      ],
    },
  });
});
afterAll(async () => {
  await harness?.close();
});

const url = (): string => harness.node.url;
const queueDepth = (caller: string): string => `quotamesh_caller_queue_depth{caller="${caller}"}`;

describe('limits.concurrent', () => {
  it('a request over the limit waits for the caller’s own to finish, then is served', async () => {
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const first = await held(url(), USER_TOKEN);
    const second = send(url(), USER_TOKEN);
    await metricBecomes(url(), ADMIN_TOKEN, queueDepth('user:alice'), 1);
    expect(await metric(url(), ADMIN_TOKEN, 'quotamesh_caller_in_flight{caller="user:alice"}')).toBe(1);
    first.abort();
    expect(await second.status).toBe(200);
    await metricBecomes(url(), ADMIN_TOKEN, 'quotamesh_caller_in_flight{caller="user:alice"}', 0);
  });

  it('after queue_timeout_ms the waiting request is refused with 429 in Claude’s shape, naming the limit', async () => {
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const first = await held(url(), BOB);
    const response = await send(url(), BOB).response;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toContain('limits.concurrent: 1');
    expect(await metric(url(), ADMIN_TOKEN, 'quotamesh_limit_refusals_total{caller="user:bob",limit="concurrent"}')).toBe(1);
    first.abort();
    // Another caller was never held up by bob's line.
    expect(await send(url(), USER_TOKEN).status).toBe(200);
  });

  it('a waiting request whose client leaves gives up its place and its slot', async () => {
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const first = await held(url(), CAROL);
    const waiting = send(url(), CAROL);
    await metricBecomes(url(), ADMIN_TOKEN, queueDepth('user:carol'), 1);
    waiting.abort();
    await metricBecomes(url(), ADMIN_TOKEN, queueDepth('user:carol'), 0);
    first.abort();
    await metricBecomes(url(), ADMIN_TOKEN, 'quotamesh_caller_in_flight{caller="user:carol"}', 0);
    // Nothing leaked: the one slot is free for the next request at once.
    expect(await send(url(), CAROL).status).toBe(200);
  });
});

describe('limits.requests_per_minute', () => {
  it('refuses the request over the limit until the oldest ages out, with the real retry-after', async () => {
    expect(await send(url(), DAVE).status).toBe(200);
    clock.advance(20_000);
    expect(await send(url(), DAVE).status).toBe(200);
    const refused = await send(url(), DAVE).response;
    expect(refused.status).toBe(429);
    // The first request (20 s ago) frees its place 40 s from now.
    expect(refused.headers.get('retry-after')).toBe('40');
    const body = (await refused.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toContain('limits.requests_per_minute: 2');
    clock.advance(39_000);
    const stillRefused = await send(url(), DAVE).response;
    expect(stillRefused.status).toBe(429);
    expect(stillRefused.headers.get('retry-after')).toBe('1');
    await stillRefused.arrayBuffer();
    clock.advance(1_000);
    expect(await send(url(), DAVE).status).toBe(200);
    // The refused ones did not count: only one more fits before the second request ages out.
    const again = await send(url(), DAVE).response;
    expect(again.status).toBe(429);
    expect(again.headers.get('retry-after')).toBe('20');
    await again.arrayBuffer();
  });
});
