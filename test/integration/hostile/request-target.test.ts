/**
 * Request targets other than origin-form (RFC 9112 §3.2): an absolute-form target used to be
 * forwarded as the upstream request line with the owner's OAuth token, so a front end routing by
 * its authority handed the token to another host. Every such target gets 400 in the provider's
 * shape and nothing reaches the vendor; the upstream target is built from the parsed path.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { isClaudeError, isCodexError, forwardedSince } from './raw-http.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ chunkDelayMs: 0, codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

/** Writes one request with `target` verbatim in the request line; resolves with the raw answer. */
function sendRaw(target: string, method = 'POST', body = MESSAGE): Promise<{ status: number; body: string }> {
  const socket = net.connect(harness.node.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  socket.write(
    `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${harness.userToken}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const body = rest.join('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: /transfer-encoding: chunked/i.test(head) ? dechunk(body) : body });
    });
  });
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

describe('request targets other than origin-form', () => {
  it.each([
    ['http://attacker.example/v1/messages', isClaudeError],
    ['https://attacker.example:443/v1/messages?beta=true', isClaudeError],
    ['http://127.0.0.1/v1/messages/count_tokens', isClaudeError],
    ['http://attacker.example/v1/responses', isCodexError],
  ])('POST %s: 400 in the provider shape, nothing forwarded', async (target, isShape) => {
    const before = harness.sim.received.length;
    const answer = await sendRaw(target);
    expect(answer.status).toBe(400);
    expect(isShape(answer.body)).toBe(true);
    expect(forwardedSince(harness.sim.received, before)).toEqual([]);
  });

  it.each([
    ['OPTIONS', '*'],
    ['CONNECT', 'attacker.example:443'],
    ['GET', 'v1/models'],
  ])('%s %s: 400, nothing forwarded', async (method, target) => {
    const before = harness.sim.received.length;
    const answer = await sendRaw(target, method, '');
    expect(answer.status).toBe(400);
    expect(isClaudeError(answer.body)).toBe(true);
    expect(forwardedSince(harness.sim.received, before)).toEqual([]);
  });

  it('an origin-form request still goes through, with the path as the client sent it', async () => {
    const before = harness.sim.received.length;
    const answer = await sendRaw('/v1/messages?beta=true');
    expect(answer.status).toBe(200);
    await waitFor(() => harness.sim.received.length > before, 'the vendor receives the request');
    expect(harness.sim.received.slice(before).map((received) => received.path)).toEqual(['/v1/messages?beta=true']);
  });
});
