import { fastify } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/index.ts';
import { registerStatusRoutes, type ProviderStatus } from '../../../src/status/index.ts';
import { ChangeSignal } from '../../../src/pool/change-signal.ts';

const BASE: ProviderStatus = { five_hour_utilization: 10, five_hour_reset: 0, weekly_utilization: 20, weekly_reset: 0, plan_weight: 1, state: 'usable', retry_at: 0 };

async function readFrames(response: Response, count: number): Promise<ProviderStatus[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.split('\n').length - 1 < count) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text.split('\n').filter((line) => line !== '').slice(0, count).map((line) => JSON.parse(line) as ProviderStatus);
}

describe('status watch stream', () => {
  const shutdown = new AbortController();
  const app = fastify({ forceCloseConnections: true });
  const changes = new ChangeSignal();
  let current = { ...BASE };
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
      onChange: (listener) => changes.subscribe(listener),
      view: () => () => current,
      providers: [{ name: 'claude', statusPath: '/ccm/v1/status' }],
      badRequest: (_request, reply) => reply.code(400).send(),
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const idle = await readFrames(await fetch(`${url}/v1/status?watch=true`), 3);
    expect(idle).toEqual([BASE, BASE, BASE]);

    const response = await fetch(`${url}/v1/status?watch=true`);
    const framesPromise = readFrames(response, 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let step = 1; step <= 20; step += 1) {
      current = { ...BASE, five_hour_utilization: 10 + step };
      changes.emit();
    }
    const frames = await framesPromise;
    expect(frames[0]).toEqual(BASE);
    // Twenty changes inside the coalescing window become one frame with the latest value.
    expect(frames[1]?.five_hour_utilization).toBe(30);
  });
});
