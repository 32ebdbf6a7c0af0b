/**
 * Only the endpoints a provider module lists are forwarded with a credential. Any `/v1/*` path
 * used to reach the vendor with the owner's OAuth token (files, batches, double-encoded paths);
 * now everything else gets 404 in the provider's shape, nothing is forwarded, and each unknown
 * path is logged once, in bounded memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnceSet } from '../../../src/node/once-set.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { isClaudeError, isCodexError, rawRequest, type RawAnswer, forwardedSince } from './raw-http.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ chunkDelayMs: 0, codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

async function send(method: string, path: string, body?: string): Promise<RawAnswer> {
  const answer = await rawRequest(harness.node.url, {
    method,
    path,
    headers: [
      ['authorization', `Bearer ${harness.userToken}`],
      ['content-type', 'application/json'],
    ],
    body: body === undefined ? undefined : Buffer.from(body),
  });
  if (answer === 'closed') throw new Error(`${method} ${path}: connection closed without an answer`);
  return answer;
}

describe('vendor endpoints by allow-list', () => {
  it.each([
    ['GET', '/v1/files'],
    ['POST', '/v1/files'],
    ['POST', '/v1/messages/batches'],
    ['GET', '/v1/messages/batches/msgbatch_01'],
    ['GET', '/v1/%252e%252e/api/oauth/profile'],
    ['GET', '/v1/organizations/me'],
    ['POST', '/v1/messages/'],
    ['GET', '/v1/messages'],
    ['POST', '/v1/complete'],
    ['POST', '/v1/skills'],
  ])('%s %s: 404 in Anthropic shape, never forwarded', async (method, path) => {
    const before = harness.sim.received.length;
    const answer = await send(method, path, method === 'POST' ? '{}' : undefined);
    expect(answer.status).toBe(404);
    expect(isClaudeError(answer.body)).toBe(true);
    expect(forwardedSince(harness.sim.received, before)).toEqual([]);
  });

  it.each([
    ['GET', '/v1/responses/resp_123'],
    ['DELETE', '/v1/responses/resp_123'],
    ['GET', '/v1/responses/resp_123/input_items'],
    ['POST', '/v1/responses/resp_123/cancel'],
  ])('%s %s: 404 in OpenAI shape, never forwarded', async (method, path) => {
    const before = harness.sim.received.length;
    const answer = await send(method, path, method === 'POST' ? '{}' : undefined);
    expect(answer.status).toBe(404);
    expect(isCodexError(answer.body)).toBe(true);
    expect(forwardedSince(harness.sim.received, before)).toEqual([]);
  });

  it('the listed endpoints are forwarded, models with its id as one segment', async () => {
    const before = harness.sim.received.length;
    await send('GET', '/v1/models?limit=1000');
    await send('GET', '/v1/models/claude-sonnet-4-5');
    await send('POST', '/v1/responses/compact', JSON.stringify({ model: 'gpt-5-codex', input: [], instructions: 'x' }));
    await waitFor(() => forwardedSince(harness.sim.received, before).length >= 3, 'the vendor receives three requests');
    expect(forwardedSince(harness.sim.received, before).map((received) => `${received.method} ${received.path}`)).toEqual([
      'GET /v1/models?limit=1000',
      'GET /v1/models/claude-sonnet-4-5',
      'POST /backend-api/codex/responses/compact',
    ]);
  });

  it('logs each unknown path once', async () => {
    for (let i = 0; i < 3; i += 1) expect((await send('GET', '/v1/files/file_once')).status).toBe(404);
    const lines = harness.logs.filter((line) => line.includes('not forwarded') && line.includes('/v1/files/file_once'));
    expect(lines).toHaveLength(1);
  });

  it('remembers at most its capacity of paths, forgetting the oldest', () => {
    const once = new OnceSet(3);
    expect(['a', 'b', 'c', 'a'].map((key) => once.firstTime(key))).toEqual([true, true, true, false]);
    for (let i = 0; i < 10_000; i += 1) once.firstTime(`path-${i}`);
    expect(once.size).toBe(3);
    expect(once.firstTime('a')).toBe(true);
  });
});
