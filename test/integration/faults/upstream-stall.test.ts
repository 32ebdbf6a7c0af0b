import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';

const STREAM = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

async function post(harness: Harness, body = STREAM): Promise<Response> {
  return fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body,
  });
}

describe('an upstream that stalls', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('ends the client stream with an error after the idle timeout, and the credential stays usable', async () => {
    harness = await startHarness({ nodeOptions: { upstreamIdleTimeoutMs: 400 } });
    harness.sim.script({ fault: { type: 'stall', afterEvents: 2 } });
    const response = await post(harness);
    expect(response.status).toBe(200);
    const outcome = await response.text().then(
      () => 'ended cleanly',
      (error: unknown) => `error: ${String(error)}`,
    );
    expect(outcome).toMatch(/^error/);
    const status = (await (
      await fetch(`${harness.node.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${harness.userToken}` } })
    ).json()) as { state: string };
    expect(status.state).toBe('usable');
    const next = await post(harness);
    expect(next.status).toBe(200);
    expect(await next.text()).toContain('message_stop');
  });

  it('moves to the next credential when one never sends a response head', async () => {
    harness = await startHarness({ accounts: [{ id: 'a' }, { id: 'b' }], nodeOptions: { upstreamIdleTimeoutMs: 400 } });
    harness.sim.script({ fault: { type: 'slow', delayMs: 5000 } });
    const response = await post(harness);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('message_stop');
  });
});
