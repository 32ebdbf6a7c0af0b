/**
 * The background usage and profile polls on the wire, read from a raw listener: exactly the
 * headers the node means to send (none of fetch's own `accept-language`, `sec-fetch-mode`), an
 * answer past 1 MiB refused instead of buffered, and no undici loaded by a poll (fetch cost an idle
 * node about 10 MB, src/upstream/http-exchange.ts).
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchClaudeProfile, fetchClaudeUsage } from '../../../src/providers/claude/account-usage.ts';
import { fetchCodexUsage } from '../../../src/providers/codex/account-usage.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLAUDE_USAGE = { five_hour: { utilization: 12, resets_at: '2030-01-01T00:00:00Z' }, seven_day: null };

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(answer: (request: IncomingMessage) => { status?: number; headers?: Record<string, string>; body: Buffer | string }) {
  const seen: IncomingMessage[] = [];
  server = createServer((request, response) => {
    seen.push(request);
    const reply = answer(request);
    response.writeHead(reply.status ?? 200, reply.headers ?? { 'content-type': 'application/json' });
    response.end(reply.body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const options = { nowMs: () => Date.parse('2029-12-31T00:00:00Z') };

describe('usage and profile polls', () => {
  it('send exactly their own header lines, and none of the ones fetch adds', async () => {
    const endpoint = await listen(() => ({ body: JSON.stringify(CLAUDE_USAGE) }));
    expect(await fetchClaudeUsage(endpoint.url, 'access-1', options)).toMatchObject({
      kind: 'ok',
      value: { fiveHour: { utilization: 12 } },
    });
    const names = endpoint.seen[0]!.rawHeaders.filter((_, index) => index % 2 === 0);
    expect(names).toEqual(['authorization', 'anthropic-beta', 'content-type', 'user-agent', 'Host', 'Connection']);
    expect(endpoint.seen[0]!.url).toBe('/api/oauth/usage');

    const codex = await listen(() => ({ body: JSON.stringify({ rate_limit: null }) }));
    await fetchCodexUsage(`${codex.url}/backend-api/wham/usage`, 'access-2', 'account-2', options);
    const codexNames = codex.seen[0]!.rawHeaders.filter((_, index) => index % 2 === 0);
    expect(codexNames).toEqual(['authorization', 'chatgpt-account-id', 'originator', 'user-agent', 'accept', 'Host', 'Connection']);
  });

  it('read a gzip-encoded answer', async () => {
    const endpoint = await listen(() => ({
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ organization: { organization_type: 'claude_max', rate_limit_tier: 'default_claude_max_20x' } })),
    }));
    expect(await fetchClaudeProfile(endpoint.url, 'access-1', options)).toEqual({
      kind: 'ok',
      value: { subscriptionType: 'max', rateLimitTier: 'default_claude_max_20x' },
    });
  });

  it('refuse an answer past 1 MiB, plain or as a gzip bomb, instead of buffering it', async () => {
    const huge = `{"five_hour":${' '.repeat(3 * 1024 * 1024)}null}`;
    const plain = await listen(() => ({ body: huge }));
    expect(await fetchClaudeUsage(plain.url, 'access-1', options)).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('too large'),
    });
    await new Promise((resolve) => server?.close(resolve));
    const bomb = await listen(() => ({ headers: { 'content-encoding': 'gzip' }, body: gzipSync(huge) }));
    expect(await fetchCodexUsage(bomb.url, 'access-2', undefined, options)).toMatchObject({
      kind: 'failed',
      message: expect.stringContaining('too large'),
    });
  });

  it('do not load undici (what fetch or a touch of the Headers global would)', async () => {
    const endpoint = await listen((request) => ({
      body: request.url === '/api/oauth/profile' ? JSON.stringify({ organization: {} }) : JSON.stringify(CLAUDE_USAGE),
    }));
    const script = `
      const { fetchClaudeUsage, fetchClaudeProfile } = await import(${JSON.stringify(join(ROOT, 'src/providers/claude/account-usage.ts'))});
      const { fetchCodexUsage } = await import(${JSON.stringify(join(ROOT, 'src/providers/codex/account-usage.ts'))});
      const options = { nowMs: () => Date.now() };
      const results = [
        await fetchClaudeUsage(${JSON.stringify(endpoint.url)}, 't', options),
        await fetchClaudeProfile(${JSON.stringify(endpoint.url)}, 't', options),
        await fetchCodexUsage(${JSON.stringify(`${endpoint.url}/u`)}, 't', 'a', options),
      ];
      console.log(JSON.stringify({ kinds: results.map((result) => result.kind), undici: process.moduleLoadList.filter((name) => name.includes('undici')) }));`;
    const output = await new Promise<string>((resolve, reject) => {
      const { NODE_OPTIONS: _loader, ...env } = process.env;
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    expect(JSON.parse(output)).toEqual({ kinds: ['ok', 'ok', 'ok'], undici: [] });
  });
});
