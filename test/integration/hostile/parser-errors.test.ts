import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';

/** Sends raw bytes and returns everything the node answers before it closes. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
}

describe('requests the HTTP parser refuses', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it.each([
    [
      'a head over 64 KiB on a Claude path',
      `GET /v1/messages HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`,
      431,
      '"type":"error"',
    ],
    [
      'garbage on a Codex path',
      `GET /v1/responses HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n`,
      400,
      '"error":{"type":"invalid_request_error"',
    ],
  ])('answers %s in the provider shape', async (_name, request, status, shape) => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a' }] });
    const answer = await raw(harness.node.url, request);
    expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(answer).toContain(shape);
    expect((await fetch(`${harness.node.url}/healthz`)).status).toBe(200);
  });
});
