import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';

const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

async function send(harness: Harness): Promise<Response> {
  return fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body: BODY,
  });
}

describe('durable state', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('keeps a known cooldown across a restart instead of hammering the exhausted account', async () => {
    harness = await startHarness();
    harness.sim.setUsage('a', { fiveHourUtilization: 100 });
    const limited = await send(harness);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(60);
    await limited.arrayBuffer();

    // The usage endpoint is down after the restart, so only the saved state can tell.
    harness.sim.script({ endpoint: 'usage', fault: { type: 'server_error' }, times: 1000 });
    await harness.restartNode();
    const messagesBefore = harness.sim.account('a').counters.messages;
    const again = await send(harness);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(harness.sim.account('a').counters.messages).toBe(messagesBefore);
  });
});
