/**
 * The request budget against a running node: a caller past its share of body bytes or requests
 * gets 429, the node past its own gets 503, both in the provider's shape and before the body is
 * read; a chunked body is cut when it grows past the budget; other callers are still served, and
 * everything is given back when a request ends. (Before the budget, every one of these was
 * accepted and buffered.)
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, USER_TOKEN, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { isClaudeError } from './raw-http.ts';

const MiB = 1024 * 1024;
const BOB = 'bob-token-0123456789-abcdefghijk';
const CAROL = 'carol-token-0123456789-abcdefghi';

let harness: Harness;
const sockets: net.Socket[] = [];
beforeAll(async () => {
  harness = await startHarness({
    chunkDelayMs: 0,
    config: {
      users: [
        { name: 'alice', token: USER_TOKEN },
        { name: 'bob', token: BOB },
        { name: 'carol', token: CAROL },
      ],
      request_budget: { body_bytes: 3 * MiB, per_caller_body_bytes: 2 * MiB, concurrent: 100, per_caller_concurrent: 3 },
    },
  });
});
afterAll(async () => {
  sockets.forEach((socket) => socket.destroy());
  await harness?.close();
});

/** A Messages request body of about `bytes` bytes. */
function messageOf(bytes: number): Buffer {
  const head = '{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"';
  const tail = '"}]}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
}

interface Open {
  socket: net.Socket;
  received: () => string;
  status: () => number | undefined;
}

/** Sends a head declaring `declared` bytes (or chunked) and the first `sent` bytes of the body; the rest never comes. */
function open(token: string, body: Buffer, sent: number, chunked = false): Open {
  const socket = net.connect(harness.node.port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`;
  socket.write(
    `POST /v1/messages HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`,
  );
  const part = body.subarray(0, sent);
  if (part.length > 0)
    socket.write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
  if (chunked && sent === body.length) socket.write('0\r\n\r\n');
  return {
    socket,
    received: () => received,
    status: () => (received.startsWith('HTTP/1.1 ') ? Number(received.slice(9, 12)) : undefined),
  };
}

/** The budget the node reports holding (GET /metrics). */
async function heldBytes(): Promise<number> {
  const text = await (await fetch(`${harness.node.url}/metrics`, { headers: { authorization: `Bearer ${harness.adminToken}` } })).text();
  return Number(/^quotamesh_request_body_bytes_held (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function heldRequests(): Promise<number> {
  const text = await (await fetch(`${harness.node.url}/metrics`, { headers: { authorization: `Bearer ${harness.adminToken}` } })).text();
  return Number(/^quotamesh_requests_held (\S+)$/m.exec(text)?.[1] ?? NaN);
}

async function answered(request: Open): Promise<number> {
  await waitFor(() => request.status() !== undefined, 'an answer');
  return request.status() ?? 0;
}

function errorJson(request: Open): string {
  const body = request.received().split('\r\n\r\n').slice(1).join('');
  // Chunked framing around a small JSON body: the JSON is the line starting with '{'.
  return body.split('\r\n').find((line) => line.startsWith('{')) ?? body;
}

describe('request budget', () => {
  it('a caller past its body bytes gets 429 before its body is read; another caller is served', async () => {
    const held = open(USER_TOKEN, messageOf(1.5 * MiB), 1024);
    await waitFor(async () => (await heldBytes()) === messageOf(1.5 * MiB).length, "alice's first body is reserved");
    const second = open(USER_TOKEN, messageOf(1 * MiB), 0);
    expect(await answered(second)).toBe(429);
    expect(second.received()).toMatch(/retry-after: 1/i);
    expect(isClaudeError(errorJson(second))).toBe(true);
    expect(errorJson(second)).toContain('in flight from you');

    const bob = open(BOB, messageOf(1 * MiB), 1 * MiB);
    expect(await answered(bob)).toBe(200);
    held.socket.destroy();
  });

  it('the node past its body bytes gets 503 for anyone', async () => {
    const alice = open(USER_TOKEN, messageOf(1.5 * MiB), 1024);
    const bob = open(BOB, messageOf(1.4 * MiB), 1024);
    await waitFor(
      async () => (await heldBytes()) === messageOf(1.5 * MiB).length + messageOf(1.4 * MiB).length,
      'both bodies are reserved',
    );
    const carol = open(CAROL, messageOf(0.5 * MiB), 0);
    expect(await answered(carol)).toBe(503);
    expect(isClaudeError(errorJson(carol))).toBe(true);
    alice.socket.destroy();
    bob.socket.destroy();
    // Released when the requests end: the same body now passes.
    await waitFor(async () => {
      const again = open(CAROL, messageOf(0.5 * MiB), 0.5 * MiB);
      const status = await answered(again);
      again.socket.destroy();
      return status === 200;
    }, 'the budget is given back');
  });

  it('a chunked body is cut when it grows past the budget', async () => {
    await waitFor(async () => (await heldBytes()) === 0, 'earlier bodies are released');
    const chunked = open(USER_TOKEN, messageOf(3 * MiB), 2.5 * MiB, true);
    expect(await answered(chunked)).toBe(429);
    expect(isClaudeError(errorJson(chunked))).toBe(true);
    chunked.socket.destroy();
    const small = open(USER_TOKEN, messageOf(4096), 4096, true);
    expect(await answered(small)).toBe(200);
  });

  it('a caller past its concurrent requests gets 429', async () => {
    await waitFor(async () => (await heldRequests()) === 0, 'earlier requests are released');
    const held = [0, 1, 2].map(() => open(BOB, messageOf(4096), 100));
    await waitFor(async () => (await heldRequests()) === 3, "bob's three requests are held");
    const fourth = open(BOB, messageOf(4096), 0);
    expect(await answered(fourth)).toBe(429);
    const carol = open(CAROL, messageOf(4096), 4096);
    expect(await answered(carol)).toBe(200);
    held.forEach((request) => request.socket.destroy());
  });

  it('a body no budget could ever hold gets 413, not a retry forever', async () => {
    const huge = open(CAROL, messageOf(2.5 * MiB), 0);
    expect(await answered(huge)).toBe(413);
  });
});
