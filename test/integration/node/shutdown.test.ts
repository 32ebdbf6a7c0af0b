import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('graceful shutdown', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('lets an in-flight request finish, ends status watchers, and then stops', async () => {
    harness = await startHarness();
    harness.sim.script({ fault: { type: 'slow', delayMs: 300 } });
    const inFlight = fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const watch = await fetch(`${harness.node.url}/v1/status?watch=true`, { headers: { authorization: `Bearer ${harness.userToken}` } });
    const h = harness;
    await waitFor(() => h.sim.state().openStreams > 0, 'the request to reach the simulator');
    const closing = harness.node.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe('message');
    // The watch stream ends instead of holding the shutdown open.
    expect(await watch.text()).toContain('"node"');
    await closing;
    const after = await fetch(`${harness.node.url}/healthz`).catch((error: unknown) => error);
    expect(after).toBeInstanceOf(Error);
  });
});
