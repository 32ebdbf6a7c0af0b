/**
 * Issue 13 item 10 against a real node process, its memory read from /proc: one user opening 40
 * connections with 31 MiB bodies that never finish used to pin 1.25 GB until the 60 s request
 * timeout. With the default request budget (64 MiB per caller, 256 MiB node-wide) two of them
 * are admitted, the other 38 get 429 before their bodies are read, the node's memory stays
 * bounded, and a second user is still served.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { ADMIN, MESSAGE, MiB, residentBytes, startHubProcess, untilWithBoundedMemory, USER, type HubSetup } from './peer-harness.ts';

const BOB = 'bob-token-0123456789-abcdefghijk';
const CONNECTIONS = 40;
const BODY_BYTES = 31 * MiB;
/** Two admitted bodies (62 MiB) plus the node's own churn; without the budget it grew past 1 GiB. */
const MAX_RSS_GROWTH = 200 * MiB;

let setup: HubSetup;
const sockets: net.Socket[] = [];
beforeAll(async () => {
  setup = await startHubProcess(({ simUrl, tokenUrl, hubPath, dir }) => ({
    name: 'hub',
    listen: '127.0.0.1:0',
    state_dir: `${dir}/hub-state`,
    admin_token: ADMIN,
    users: [
      { name: 'alice', token: USER },
      { name: 'bob', token: BOB },
    ],
    claude: { api_url: simUrl, oauth_url: tokenUrl, credentials: [{ tag: 'hub-a', type: 'default', path: hubPath }] },
  }));
});
afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await setup?.close([BOB]);
});

interface Hostile {
  answered: boolean;
  status: number | undefined;
  closed: boolean;
  /** Everything but the last byte is written (and, being unanswered, buffered by the node). */
  sentAll: boolean;
}

/** A request declaring BODY_BYTES that sends all but the last byte, stopping early if answered. */
function hold(port: number, body: Buffer): Hostile {
  const state: Hostile = { answered: false, status: undefined, closed: false, sentAll: false };
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  socket.on('close', () => (state.closed = true));
  socket.once('data', (chunk: Buffer) => {
    state.answered = true;
    state.status = Number(chunk.toString('latin1').slice(9, 12));
  });
  socket.write(
    `POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${USER}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
  );
  let offset = 0;
  const pump = (): void => {
    while (offset < body.length - 1 && !state.answered && !state.closed) {
      const end = Math.min(body.length - 1, offset + MiB);
      const more = socket.write(body.subarray(offset, end));
      offset = end;
      if (!more) return void socket.once('drain', pump);
    }
    if (offset === body.length - 1) state.sentAll = true;
  };
  pump();
  return state;
}

async function heldBytes(): Promise<number> {
  const text = await (await fetch(`${setup.hub.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  return Number(/^quotamesh_request_body_bytes_held (\S+)$/m.exec(text)?.[1] ?? NaN);
}

describe('request bodies in flight are budgeted (real node process)', () => {
  it(`${CONNECTIONS} connections × 31 MiB from one user stay bounded; another user is served`, async () => {
    const pid = setup.hub.pid;
    const baseline = await residentBytes(pid);
    const body = Buffer.alloc(BODY_BYTES, 0x20);
    const hostile = Array.from({ length: CONNECTIONS }, () => hold(setup.hub.port, body));
    const peak = await untilWithBoundedMemory(
      pid,
      baseline,
      MAX_RSS_GROWTH,
      () =>
        hostile.filter((request) => request.status === 429).length >= CONNECTIONS - 2 &&
        hostile.filter((request) => request.sentAll).length >= 2,
      120_000,
    );
    expect(hostile.filter((request) => request.status === 429)).toHaveLength(CONNECTIONS - 2);
    expect(hostile.filter((request) => request.answered && request.status !== 429)).toEqual([]);
    // The two admitted bodies are written up to their last byte and held by the node.
    await waitFor(async () => (await heldBytes()) === 2 * BODY_BYTES, 'two bodies held');

    const served = await fetch(`${setup.hub.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOB}`, 'content-type': 'application/json' },
      body: MESSAGE,
    });
    expect(served.status).toBe(200);
    await served.arrayBuffer();
    console.log(`RSS growth peak ${(peak / MiB).toFixed(1)} MiB with ${CONNECTIONS} × 31 MiB bodies offered`);
    await waitFor(async () => (await residentBytes(pid)) - baseline < MAX_RSS_GROWTH, 'memory stays bounded after the refusals');
  }, 180_000);
});
