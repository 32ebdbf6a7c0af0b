import { fastify } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/index.ts';
import { registerStatusRoutes, type ProviderStatus } from '../../../src/status/index.ts';
import { ChangeSignal } from '../../../src/pool/change-signal.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BASE: ProviderStatus = {
  five_hour_utilization: 10,
  five_hour_reset: 0,
  weekly_utilization: 20,
  weekly_reset: 0,
  plan_weight: 1,
  state: 'usable',
  retry_at: 0,
};

/** Reads frames until `isLast` holds for one (or the stream ends), then lets go of the stream. */
async function readFrames(response: Response, isLast: (frame: ProviderStatus, index: number) => boolean): Promise<ProviderStatus[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const frames: ProviderStatus[] = [];
  let text = '';
  while (frames.length === 0 || !isLast(frames.at(-1)!, frames.length - 1)) {
    const newline = text.indexOf('\n');
    if (newline >= 0) {
      frames.push(JSON.parse(text.slice(0, newline)) as ProviderStatus);
      text = text.slice(newline + 1);
      continue;
    }
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return frames;
}

describe('status watch stream', () => {
  const shutdown = new AbortController();
  const app = fastify({ forceCloseConnections: true });
  const changes = new ChangeSignal();
  let current = { ...BASE };
  let subscriptions = 0;
  afterEach(async () => {
    shutdown.abort();
    await app.close();
  });

  it('sends a heartbeat frame when nothing changes, and coalesces a burst into one frame', async () => {
    registerStatusRoutes(app, {
      clock: systemClock,
      shutdown: shutdown.signal,
      heartbeatMs: 100,
      coalesceMs: 30,
      onChange: (listener) => {
        subscriptions += 1;
        return changes.subscribe(listener);
      },
      view: () => () => current,
      providers: [{ name: 'claude', statusPath: '/ccm/v1/status' }],
      badRequest: (_request, reply) => reply.code(400).send(),
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const idle = await readFrames(await fetch(`${url}/v1/status?watch=true`), (_frame, index) => index === 2);
    expect(idle).toEqual([BASE, BASE, BASE]);

    const response = await fetch(`${url}/v1/status?watch=true`);
    const framesPromise = readFrames(response, (frame) => frame.five_hour_utilization !== BASE.five_hour_utilization);
    // A change emitted before the watcher subscribed would be lost, not coalesced.
    await waitFor(() => subscriptions === 2, 'the second watcher to subscribe');
    for (let step = 1; step <= 20; step += 1) {
      current = { ...BASE, five_hour_utilization: 10 + step };
      changes.emit();
    }
    const frames = await framesPromise;
    // The first frame, then heartbeats if the machine is slow, then one frame for the burst.
    expect(frames[0]).toEqual(BASE);
    expect(frames.slice(1, -1)).toEqual(frames.slice(1, -1).map(() => BASE));
    // Twenty changes inside the coalescing window become one frame with the latest value.
    expect(frames.at(-1)?.five_hour_utilization).toBe(30);
  });
});
