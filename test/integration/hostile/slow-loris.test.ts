/**
 * Slow-loris clients time out (issue 8): a head trickled one byte at a time is cut after the
 * node's headersTimeoutMs, a body trickled after its requestTimeoutMs, while normal requests
 * keep being served. Durations are only checked against the node's own timeouts, 10× over.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { healthz, RawClient, rawRequest } from './raw-http.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const TRICKLE_MS = 100;

let harness: Harness;
const clients: RawClient[] = [];
beforeAll(async () => {
  harness = await startHarness({
    chunkDelayMs: 0,
    nodeOptions: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
  });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});
afterAll(async () => {
  await harness?.close();
});

function client(): RawClient {
  const created = new RawClient(harness.node.port);
  clients.push(created);
  return created;
}

async function servesNormally(): Promise<void> {
  const answer = await rawRequest(harness.node.url, {
    method: 'POST',
    path: '/v1/messages',
    headers: [
      ['authorization', `Bearer ${harness.userToken}`],
      ['content-type', 'application/json'],
    ],
    body: Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })),
  });
  expect(answer !== 'closed' && answer.status).toBe(200);
}

describe('slow-loris clients', () => {
  it('a request head sent one byte every 100 ms is cut after headersTimeoutMs', async () => {
    const loris = client();
    // A head that never ends: header lines forever, never the blank line.
    loris.trickle(`POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${harness.userToken}\r\nx-pad: aaaaaaaa\r\n`, TRICKLE_MS);
    await servesNormally();
    await waitFor(() => loris.isClosed, { message: 'the node to cut the slow head', timeoutMs: 10 * HEADERS_TIMEOUT_MS + 5_000 });
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('a complete head with a body trickled one byte every 100 ms is cut after requestTimeoutMs', async () => {
    const loris = client();
    loris.socket.write(
      `POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${harness.userToken}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`,
    );
    loris.trickle('{"model":"claude-sonnet-4-5","messages":[', TRICKLE_MS);
    await servesNormally();
    await waitFor(() => loris.isClosed, { message: 'the node to cut the slow body', timeoutMs: 10 * REQUEST_TIMEOUT_MS + 5_000 });
    expect(harness.sim.received.filter((received) => received.body.length >= 100_000)).toEqual([]);
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('many slow clients at once do not stop normal requests', async () => {
    const lorises = Array.from({ length: 50 }, () => client());
    for (const loris of lorises) loris.trickle('GET /v1/status HTTP/1.1\r\nhost: x\r\nx-pad: a\r\n', TRICKLE_MS);
    for (let round = 0; round < 3; round += 1) await servesNormally();
    await waitFor(() => lorises.every((loris) => loris.isClosed), {
      message: 'the node to cut every slow client',
      timeoutMs: 10 * HEADERS_TIMEOUT_MS + 5_000,
    });
  });

  it('logged no internal error while cutting them', () => {
    expect(harness.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
