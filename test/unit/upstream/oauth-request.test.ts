/**
 * The token-endpoint request on the wire, read from a raw listener: Claude's refresh carries
 * axios's header lines (Claude Code refreshes through axios 1.15.2) and none of the headers
 * fetch adds on its own (`accept-language`, `sec-fetch-mode`).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { requestTokenRefresh } from '../../../src/providers/claude/oauth.ts';
import { postTokenRequest } from '../../../src/upstream/index.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(
  answer: (request: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body: Buffer | string },
): Promise<{ url: string; seen: Array<{ rawHeaders: string[]; body: string }> }> {
  const seen: Array<{ rawHeaders: string[]; body: string }> = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ rawHeaders: request.rawHeaders, body });
      const reply = answer(request, body);
      response.writeHead(reply.status, reply.headers ?? { 'content-type': 'application/json' });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/oauth/token`, seen };
}

const OAUTH = {
  accessToken: 'old',
  refreshToken: 'refresh-1',
  expiresAt: 1,
  scopes: [],
  subscriptionType: undefined,
  rateLimitTier: undefined,
};

describe('Claude token refresh request', () => {
  it("sends exactly axios's header lines, in axios's order", async () => {
    const endpoint = await listen(() => ({
      status: 200,
      body: JSON.stringify({ access_token: 'new', expires_in: 3600, refresh_token: 'refresh-2' }),
    }));
    const result = await requestTokenRefresh(endpoint.url, OAUTH as never, { nowMs: () => 1_000 });
    expect(result).toMatchObject({ kind: 'ok', accessToken: 'new', refreshToken: 'refresh-2' });
    const [request] = endpoint.seen;
    const names = [];
    const values = new Map<string, string>();
    for (let index = 0; index < (request?.rawHeaders.length ?? 0); index += 2) {
      names.push(request?.rawHeaders[index] ?? '');
      values.set((request?.rawHeaders[index] ?? '').toLowerCase(), request?.rawHeaders[index + 1] ?? '');
    }
    expect(names).toEqual(['Accept', 'Content-Type', 'User-Agent', 'Content-Length', 'Accept-Encoding', 'Host', 'Connection']);
    expect(values.get('user-agent')).toBe('axios/1.15.2');
    expect(values.get('accept')).toBe('application/json, text/plain, */*');
    expect(values.has('accept-language')).toBe(false);
    expect(values.has('sec-fetch-mode')).toBe(false);
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-1' });
  });

  it('reads a gzip-encoded answer, as axios would', async () => {
    const body = gzipSync(JSON.stringify({ access_token: 'zipped', expires_in: 3600 }));
    const endpoint = await listen(() => ({
      status: 200,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    }));
    expect(await requestTokenRefresh(endpoint.url, OAUTH as never, { nowMs: () => 1_000 })).toMatchObject({
      kind: 'ok',
      accessToken: 'zipped',
    });
  });
});

describe('postTokenRequest', () => {
  it('refuses an answer larger than 1 MiB instead of buffering it', async () => {
    const endpoint = await listen(() => ({ status: 200, body: Buffer.alloc(2 * 1024 * 1024, 0x20) }));
    const result = await postTokenRequest(endpoint.url, { body: {} }, () => ({ kind: 'parsed' as const }), { nowMs: () => 0 });
    expect(result).toMatchObject({ kind: 'failed', message: expect.stringContaining('too large') });
  });

  it('reports an unreachable endpoint as failed, never throws', async () => {
    const result = await postTokenRequest('http://127.0.0.1:1/token', { body: {} }, () => ({ kind: 'parsed' as const }), {
      nowMs: () => 0,
      timeoutMs: 2_000,
    });
    expect(result).toMatchObject({ kind: 'failed' });
  });
});
