/**
 * Issue 15 on Codex's WebSocket: the upgrade is one request against `requests_per_minute`, and an
 * open session holds one of its caller's `concurrent` slots; refusals come before the upgrade, as
 * a 429 in OpenAI's error shape.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { ADMIN_TOKEN, startHarness, USER_TOKEN, type Harness } from '../../helpers/node-harness.ts';
import { metricBecomes } from './limits-client.ts';

const BOB = 'bob-token-0123456789-abcdefghijk';
const clock = new ManualClock(Date.now());
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    codexAccounts: [{ id: 'cx-a', plan: 'pro' }],
    nodeOptions: { clock },
    config: {
      users: [
        { name: 'alice', token: USER_TOKEN, limits: { requests_per_minute: 1 } },
        { name: 'bob', token: BOB, limits: { concurrent: 1, queue_timeout_ms: 200 } },
      ],
    },
  });
});
afterAll(async () => {
  await harness?.close();
});

function connect(token: string): WebSocket {
  return new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
    headers: { authorization: `Bearer ${token}`, 'openai-beta': 'responses_websockets=2026-02-06' },
  });
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

async function refusal(socket: WebSocket): Promise<{ status: number; retryAfter: string | undefined; body: Record<string, any> }> {
  return new Promise((resolve) =>
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          retryAfter: response.headers['retry-after'],
          body: JSON.parse(text) as Record<string, any>,
        }),
      );
    }),
  );
}

describe('limits on Codex WebSocket sessions', () => {
  it('requests_per_minute counts the upgrade; the next is refused with resets_at', async () => {
    const first = connect(USER_TOKEN);
    await opened(first);
    first.close();
    const refused = await refusal(connect(USER_TOKEN));
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('60');
    expect(refused.body.error.type).toBe('usage_limit_reached');
    expect(refused.body.error.message).toContain('limits.requests_per_minute: 1');
    expect(refused.body.error.resets_at).toBe(Math.floor(clock.now() / 1000) + 60);
  });

  it('an open session holds a concurrent slot: a second one waits, then is refused', async () => {
    const first = connect(BOB);
    await opened(first);
    const refused = await refusal(connect(BOB));
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toContain('limits.concurrent: 1');
    first.close();
    // The session's end gives its slot back.
    await metricBecomes(harness.node.url, ADMIN_TOKEN, 'quotamesh_caller_in_flight{caller="user:bob"}', 0);
    const again = connect(BOB);
    await opened(again);
    again.close();
  });
});
