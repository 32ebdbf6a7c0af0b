/**
 * SIGTERM on a hub with requests in flight through the tunnel (ARCHITECTURE.md › Lifecycle): they finish, the
 * laptop sees the tunnel end with a GoAway (a clean down, no error) and starts dialing again,
 * and the hub's process exits 0 by itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { logLines } from '../../helpers/node-process.ts';
import { hubServesThroughLaptop, postMessage, startHubAndLaptop, type HubAndLaptop } from './hub-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/** Starts one stream; resolves once its first bytes arrived, with the whole body to come. */
async function openStream(url: string): Promise<{ body: Promise<string> }> {
  const response = await postMessage(url);
  if (response.status !== 200 || response.body === null) throw new Error(`stream answered ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  const body = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  // Wrapped, or awaiting the start would also await the end.
  return { body };
}

describe('hub stopped with SIGTERM', () => {
  let setup: HubAndLaptop | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  it('drains in-flight requests, closes the tunnel with a GoAway, and exits 0', async () => {
    // 100 ms between events: each stream is still running when the signal arrives.
    setup = await startHubAndLaptop({ chunkDelayMs: 100, hubDrainMs: 10_000 });
    const { laptop, laptopLogs } = setup;
    await hubServesThroughLaptop(setup.hub);
    const bodies = (await Promise.all(Array.from({ length: 10 }, () => openStream(setup!.hub.url)))).map((stream) => stream.body);

    let finishedBeforeSignal = 0;
    for (const body of bodies) void body.then(() => (finishedBeforeSignal += 1));
    await Promise.resolve();
    expect(finishedBeforeSignal).toBe(0);
    setup.hub.kill('SIGTERM');
    for (const body of await Promise.all(bodies)) expect(body).toContain('message_stop');
    expect(await setup.hub.exited).toEqual({ code: 0, signal: null });

    expect(laptop.isTunnelUp('hub')).toBe(false);
    const downs = logLines(laptopLogs, 'tunnel down').filter((line) => line.peer === 'hub');
    expect(downs).toHaveLength(1);
    expect(downs[0]?.err).toBeUndefined();
    // And it dials again (the hub is gone, so the dial fails and is retried on the schedule).
    await waitFor(() => logLines(laptopLogs, 'tunnel dial failed').some((line) => line.peer === 'hub'), 'the laptop to dial the hub again');
    expect(logLines(setup.hub.logs, 'node stopped')).toHaveLength(1);
    expect(logLines(setup.hub.logs, 'drain timed out; cutting remaining requests')).toEqual([]);
  });
});
