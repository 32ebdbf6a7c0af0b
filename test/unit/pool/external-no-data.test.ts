/**
 * A peer whose status frame has no plan weight knows nothing of its capacity yet (its accounts not
 * polled, or not pollable): the 100 % in that frame is the aggregate's "no data" placeholder. Read
 * as a full pool, it made a hub refuse every request with "weekly usage at its cap of 100%" right
 * after a laptop linked, while the laptop's own account could serve (seen as a flaky init test).
 * The frames come from a real NDJSON status stream on loopback.
 */
import { Agent, createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/lib/index.ts';
import { ExternalCredential, type PeerLink } from '../../../src/pool/index.ts';
import { aggregateProvider } from '../../../src/status/index.ts';

const NO_DATA_FRAME = {
  five_hour_utilization: 100,
  five_hour_reset: 0,
  weekly_utilization: 100,
  weekly_reset: 0,
  plan_weight: 0,
  state: 'usable',
  retry_at: 0,
};
const REAL_FRAME = { ...NO_DATA_FRAME, five_hour_utilization: 30, weekly_utilization: 40, plan_weight: 10 };

let server: Server | undefined;
let credential: ExternalCredential | undefined;
const agent = new Agent({ keepAlive: false });
afterEach(async () => {
  await credential?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = credential = undefined;
});

/** A peer's status watch: `send` writes one frame to the open stream. */
async function peer(): Promise<{ link: PeerLink; send(frame: object): void }> {
  let stream: ServerResponse | undefined;
  const pending: object[] = [];
  server = createServer((request, response) => {
    if (!request.url?.startsWith('/v1/status')) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    stream = response;
    for (const frame of pending.splice(0)) response.write(`${JSON.stringify(frame)}\n`);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  return {
    link: { peerName: 'laptop', route: () => ({ baseUrl, agent, headers: {}, viaTunnel: true }), onChange: () => () => {} },
    send: (frame) => (stream === undefined ? pending.push(frame) : stream.write(`${JSON.stringify(frame)}\n`)),
  };
}

function external(link: PeerLink): ExternalCredential {
  credential = new ExternalCredential({
    tag: 'laptop',
    provider: 'claude',
    link,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    parseHeaders: () => undefined,
    maxPlanWeight: 20,
  });
  return credential;
}

/** Resolves at the credential's next change. */
function changed(target: ExternalCredential): Promise<void> {
  return new Promise((resolve) => {
    const stop = target.onChange(() => {
      stop();
      resolve();
    });
  });
}

describe("a peer's status frame without plan weight", () => {
  it('is no data, not a full pool: the peer stays usable and counts in no aggregate', async () => {
    const { link, send } = await peer();
    const laptop = external(link);
    laptop.start();
    // Real numbers first, so the no-data frame after them is a change the test can wait for.
    send(REAL_FRAME);
    await changed(laptop);
    expect(laptop.snapshot(Date.now())).toMatchObject({ hasData: true, planWeight: 10, weekly: { utilization: 40 } });

    send(NO_DATA_FRAME);
    await changed(laptop);
    const now = Date.now();
    expect(laptop.isUsable(now)).toBe(true);
    expect(laptop.snapshot(now)).toMatchObject({ state: 'usable', hasData: false, planWeight: 0, weekly: { utilization: 0 } });
    // The hub's own aggregate does not take the peer's placeholder for capacity, nor for a full pool.
    expect(aggregateProvider([laptop.snapshot(now)], Math.floor(now / 1000))).toMatchObject({ plan_weight: 0, state: 'usable' });
  });

  it('still takes the peer at its word when it says it cannot serve', async () => {
    const { link, send } = await peer();
    const laptop = external(link);
    laptop.start();
    send(REAL_FRAME);
    await changed(laptop);
    send({ ...NO_DATA_FRAME, state: 'unavailable' });
    await changed(laptop);
    expect(laptop.isUsable(Date.now())).toBe(false);
    expect(laptop.snapshot(Date.now()).state).toBe('unavailable');
  });
});
