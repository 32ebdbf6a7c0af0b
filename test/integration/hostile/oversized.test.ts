/**
 * Oversized input is bounded (PROTOCOL.md › HTTP surface): a body over 32 MiB is refused with 413
 * (or the socket is cut) and never reaches the vendor; a stranger's body is not read at all;
 * headers over 64 KiB get 431; a Codex WebSocket message over the relay's limit ends that session
 * and no other.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { healthz, isClaudeError, rawRequest } from './raw-http.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MiB = 1024 * 1024;
const CODEX_WS_LIMIT_BYTES = 64 * MiB;

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ chunkDelayMs: 0, codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

const forwardedMessages = (): number => harness.sim.received.filter((received) => received.path.startsWith('/v1/messages')).length;

/** Streams `totalBytes` to /v1/messages, declared up front or chunked; resolves with the status or 'closed'. */
function sendLarge(totalBytes: number, declareLength: boolean): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' };
    if (declareLength) headers['content-length'] = totalBytes;
    const request = http.request(`${harness.node.url}/v1/messages`, { method: 'POST', headers, agent: false });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve('closed'));
    const chunk = Buffer.alloc(MiB, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < totalBytes) {
        const piece = chunk.subarray(0, Math.min(MiB, totalBytes - sent));
        sent += piece.length;
        if (!request.write(piece)) return void request.once('drain', pump);
      }
      request.end();
    };
    pump();
  });
}

function openCodexSocket(): Promise<WebSocket> {
  const socket = new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
    headers: { authorization: `Bearer ${harness.userToken}` },
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('oversized input', () => {
  it('refuses a 33 MiB body with a declared length, and nothing reaches the vendor', async () => {
    const before = forwardedMessages();
    const outcome = await sendLarge(33 * MiB, true);
    expect([413, 'closed']).toContain(outcome);
    expect(forwardedMessages()).toBe(before);
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('refuses a 33 MiB chunked body once it passes the limit, and nothing reaches the vendor', async () => {
    const before = forwardedMessages();
    const outcome = await sendLarge(33 * MiB, false);
    expect([413, 'closed']).toContain(outcome);
    expect(forwardedMessages()).toBe(before);
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('answers a stranger 401 before reading the body it announced', async () => {
    // The head promises 10 MiB that never comes: only an answer given before the body proves it was not awaited.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${harness.node.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-token-0123456789abc', 'content-type': 'application/json', 'content-length': 10 * MiB },
        agent: false,
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body });
        });
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(answer.status).toBe(401);
    expect(isClaudeError(answer.body)).toBe(true);
  });

  it('answers 431 to a request head over 64 KiB', async () => {
    const answer = await rawRequest(harness.node.url, {
      method: 'POST',
      path: '/v1/messages',
      headers: [
        ['authorization', `Bearer ${harness.userToken}`],
        ['anthropic-beta', 'x'.repeat(70 * 1024)],
      ],
      body: Buffer.from('{}'),
    });
    expect(answer === 'closed' ? 'closed' : answer.status).toBe(431);
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('closes a Codex WebSocket whose message is over the limit, and only that one', async () => {
    const bystander = await openCodexSocket();
    const offender = await openCodexSocket();
    const closeCode = new Promise<number>((resolve) => offender.once('close', (code) => resolve(code)));
    offender.on('error', () => {});
    offender.send(Buffer.alloc(CODEX_WS_LIMIT_BYTES + 1));
    expect(await closeCode).toBe(1009);
    const events: string[] = [];
    bystander.on('message', (data: Buffer) => events.push(data.toString()));
    bystander.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => events.some((event) => event.includes('"response.completed"')), "the bystander's response.completed");
    expect(bystander.readyState).toBe(WebSocket.OPEN);
    bystander.close();
    expect(await healthz(harness.node.url)).toBe(true);
  });
});
