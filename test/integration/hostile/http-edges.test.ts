/**
 * The fuzz's findings pinned as examples: paths that climb out of the API prefix, content types
 * fastify cannot parse and broken percent-escapes each get a 4xx in the provider's shape, and
 * none of them reaches the vendor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { isClaudeError, isCodexError, rawRequest, type RawAnswer } from './raw-http.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ chunkDelayMs: 0, codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

async function send(method: string, path: string, headers: Array<[string, string]> = [], body?: string): Promise<RawAnswer> {
  const answer = await rawRequest(harness.node.url, {
    method,
    path,
    headers: [['authorization', `Bearer ${harness.userToken}`], ...headers],
    body: body === undefined ? undefined : Buffer.from(body),
  });
  if (answer === 'closed') throw new Error(`${method} ${path}: connection closed without an answer`);
  return answer;
}

const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

describe('hostile paths and heads', () => {
  it.each([
    ['GET', '/v1/../api/oauth/profile'],
    ['GET', '/v1/messages/../../api/oauth/usage'],
    ['GET', '/v1/%2e%2e/api/oauth/profile'],
    ['GET', '/v1/messages%2f..%2f..%2fapi/oauth/usage'],
    ['POST', '/v1/messages/./../messages'],
  ])('%s %s climbs out of /v1: 404 in Anthropic shape, never forwarded', async (method, path) => {
    const before = harness.sim.received.length;
    const answer = await send(method, path, [['content-type', 'application/json']], method === 'POST' ? MESSAGE : undefined);
    expect(answer.status).toBe(404);
    expect(isClaudeError(answer.body)).toBe(true);
    expect(
      harness.sim.received.slice(before).filter((received) => received.path.startsWith('/v1/') && !received.path.startsWith('/v1/oauth/')),
    ).toEqual([]);
  });

  it('a Codex path that climbs out of /v1/responses gets 404 in OpenAI shape, never forwarded', async () => {
    const before = harness.sim.received.length;
    const answer = await send('POST', '/v1/responses/../../wham/usage', [['content-type', 'application/json']], '{}');
    expect(answer.status).toBe(404);
    expect(isCodexError(answer.body)).toBe(true);
    expect(harness.sim.received.slice(before).filter((received) => received.path.includes('..'))).toEqual([]);
  });

  it.each(['', ';;;', 'application/json\tx'])('content-type %j: 415 in Anthropic shape, not a 500', async (contentType) => {
    const answer = await send('POST', '/v1/messages', [['content-type', contentType]], MESSAGE);
    expect(answer.status).toBe(415);
    expect(isClaudeError(answer.body)).toBe(true);
  });

  it('a broken percent-escape: 400 in the provider shape of its path', async () => {
    const claude = await send('GET', '/v1/models/%');
    expect(claude.status).toBe(400);
    expect(isClaudeError(claude.body)).toBe(true);
    const codex = await send('GET', '/v1/responses/%zz');
    expect(codex.status).toBe(400);
    expect(isCodexError(codex.body)).toBe(true);
  });

  it('logged no internal error for any of it', () => {
    expect(harness.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
