import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { CODEX_MODEL, codexAuthHeaders, codexClient, postResponses, responsesBody } from './codex-fixture.ts';
import { readEvents } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const SEQUENCE_HEAD = ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added'];
const SEQUENCE_TAIL = ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'];

describe('POST /backend-api/codex/responses', () => {
  it('streams the real Responses event sequence to the openai SDK', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    const stream = await codexClient(sim, sim.codexAccount('c')).responses.create({
      model: CODEX_MODEL,
      input: [{ role: 'user', content: 'stream please' }],
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    expect(types.slice(0, 4)).toEqual(SEQUENCE_HEAD);
    expect(types.slice(-4)).toEqual(SEQUENCE_TAIL);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThan(2);
    expect(text).toContain('stream please');
    expect(usage?.total_tokens).toBe((usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0));
    expect(usage?.output_tokens).toBeGreaterThan(0);
  });

  it('answers stream:false with a Response object', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const response = await codexClient(sim, sim.codexAccount('c')).responses.create({ model: CODEX_MODEL, input: 'plain' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toContain('plain');
  });

  it('sends x-codex-* headers with a 5-hour primary and weekly secondary', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c', plan: 'plus' }], chunkDelayMs: 1 });
    const account = sim.codexAccount('c');
    const response = await postResponses(sim, codexAuthHeaders(account));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-codex-primary-window-minutes')).toBe('300');
    expect(response.headers.get('x-codex-secondary-window-minutes')).toBe('10080');
    expect(Number(response.headers.get('x-codex-primary-used-percent'))).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-codex-primary-reset-at'))).toBe(Math.floor(account.fiveHourResetAtMs / 1000));
    expect(Number(response.headers.get('x-codex-secondary-reset-after-seconds'))).toBeGreaterThan(6 * 24 * 3600);
    expect(response.headers.get('x-codex-plan-type')).toBe('plus');
    expect(response.headers.get('x-codex-active-limit')).toBe('codex');
    expect(response.headers.get('x-codex-credits-has-credits')).toBe('False');
    expect(response.headers.get('x-codex-credits-unlimited')).toBe('False');
    await response.body?.cancel();
  });

  it('reports a weekly-only plan as a 10080-minute primary and an all-zero secondary', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'w', plan: 'pro', isWeeklyOnly: true, weeklyUtilization: 40 }] });
    const response = await postResponses(sim, codexAuthHeaders(sim.codexAccount('w')), responsesBody({ stream: false }));
    expect(response.headers.get('x-codex-primary-window-minutes')).toBe('10080');
    expect(Number(response.headers.get('x-codex-primary-used-percent'))).toBeGreaterThanOrEqual(40);
    for (const field of ['used-percent', 'window-minutes', 'reset-at', 'reset-after-seconds']) {
      expect(response.headers.get(`x-codex-secondary-${field}`)).toBe('0');
    }
  });

  it('grows utilization with every request', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const headers = codexAuthHeaders(sim.codexAccount('c'));
    const used = async (): Promise<number> =>
      Number(
        (await postResponses(sim as Simulator, headers, responsesBody({ stream: false }))).headers.get('x-codex-primary-used-percent'),
      );
    const first = await used();
    const second = await used();
    expect(second).toBeGreaterThan(first);
    expect(sim.codexAccount('c').counters.responses).toBe(2);
  });

  it('delivers events incrementally: a stall after K events still hands the SDK those K', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    sim.script({ endpoint: 'codex_responses', fault: { type: 'stall', afterEvents: 3 } });
    const stream = await codexClient(sim, sim.codexAccount('c')).responses.create({ model: CODEX_MODEL, input: 'x', stream: true });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (types.length === 3) break;
    }
    expect(types).toEqual(SEQUENCE_HEAD.slice(0, 3));
    // Leaving the loop aborts the SDK's request, which is what ends the stalled stream.
    await waitFor(() => sim?.state().openStreams === 0, 'the simulator to see the stream end');
  });

  it('a stalled stream stays open until the simulator closes', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    sim.script({ endpoint: 'codex_responses', fault: { type: 'stall', afterEvents: 2 } });
    const response = await postResponses(sim, codexAuthHeaders(sim.codexAccount('c')));
    const { names, reader } = await readEvents(response, { until: (seen) => seen.length >= 2 });
    expect(names).toEqual(['response.created', 'response.in_progress']);
    expect(sim.state().openStreams).toBe(1);
    await sim.close();
    await expect(reader.read().then(() => reader.read())).rejects.toThrow();
  });

  it('ends a 200 stream with response.failed server_is_overloaded when scripted', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    sim.script({ endpoint: 'codex_responses', fault: { type: 'stream_overloaded', afterEvents: 3 } });
    const stream = await codexClient(sim, sim.codexAccount('c')).responses.create({ model: CODEX_MODEL, input: 'x', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([...SEQUENCE_HEAD.slice(0, 3), 'response.failed']);
    const failed = events.at(-1);
    expect(failed?.type === 'response.failed' && failed.response.error?.code).toBe('server_is_overloaded');
  });

  it('a cut stream fails the SDK mid-way', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    sim.script({ endpoint: 'codex_responses', fault: { type: 'cut', afterEvents: 4 } });
    const stream = await codexClient(sim, sim.codexAccount('c')).responses.create({ model: CODEX_MODEL, input: 'x', stream: true });
    const types: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    ).rejects.toThrow();
    expect(types).not.toContain('response.completed');
  });

  it('records the session_id header in the request log', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    await codexClient(sim, sim.codexAccount('c'), { session_id: 'conversation-1' }).responses.create({ model: CODEX_MODEL, input: 'x' });
    expect(sim.received[0]).toMatchObject({ method: 'POST', path: '/backend-api/codex/responses', sessionId: 'conversation-1' });
  });

  it.each([
    ['malformed JSON', '{"model":', null],
    ['missing model', JSON.stringify({ input: 'x' }), 'model'],
    ['missing input', JSON.stringify({ model: CODEX_MODEL }), 'input'],
  ])('answers 400 invalid_request_error for %s', async (_name, body, param) => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const response = await postResponses(sim, codexAuthHeaders(sim.codexAccount('c')), body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
  });
});

describe('Codex authentication and limits', () => {
  it.each([
    ['no Authorization', (headers: Record<string, string>) => ({ 'chatgpt-account-id': headers['chatgpt-account-id'] ?? '' }), null],
    ['an unknown token', (headers: Record<string, string>) => ({ ...headers, authorization: 'Bearer nope' }), 'token_invalid'],
    [
      'a wrong ChatGPT-Account-Id',
      (headers: Record<string, string>) => ({ ...headers, 'chatgpt-account-id': 'other' }),
      'account_mismatch',
    ],
    ['no ChatGPT-Account-Id', (headers: Record<string, string>) => ({ authorization: headers['authorization'] ?? '' }), 'account_mismatch'],
  ])('401 in OpenAI shape for %s', async (_name, mangle, code) => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const response = await postResponses(sim, mangle(codexAuthHeaders(sim.codexAccount('c'))));
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; type: string; code: string | null } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code });
    expect(body.error.message).toEqual(expect.any(String));
  });

  it('401 token_expired once the access token expires', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: 0, codexAccounts: [{ id: 'c' }], codexTokenLifetimeMs: 60_000 });
    const headers = codexAuthHeaders(sim.codexAccount('c'));
    clock.advance(60_000);
    const response = await postResponses(sim, headers);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'token_expired' } });
  });

  it('429 usage_limit_reached with x-codex-* headers when a window is full, until its reset', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: 0, codexAccounts: [{ id: 'c', plan: 'pro', fiveHourUtilization: 100 }] });
    const account = sim.codexAccount('c');
    const headers = codexAuthHeaders(account);
    const limited = await postResponses(sim, headers);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: {
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        plan_type: 'pro',
        resets_at: Math.floor(account.fiveHourResetAtMs / 1000),
        resets_in_seconds: 5 * 3600,
      },
    });
    expect(limited.headers.get('x-codex-primary-used-percent')).toBe('100');
    expect(limited.headers.get('x-codex-primary-window-minutes')).toBe('300');
    expect(limited.headers.get('x-codex-rate-limit-reached-type')).toBe('rate_limit_reached');
    expect(sim.codexAccount('c').counters.rateLimited).toBe(1);

    clock.advance(5 * 3600 * 1000);
    expect((await postResponses(sim, headers)).status).toBe(200);
  });

  it('a scripted weekly 429 resets when the weekly window does', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const account = sim.codexAccount('c');
    sim.script({ endpoint: 'codex_responses', account: 'c', fault: { type: 'rate_limit', window: 'seven_day' } });
    const limited = await postResponses(sim, codexAuthHeaders(account));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-codex-secondary-used-percent')).toBe('100');
    expect(await limited.json()).toMatchObject({ error: { resets_at: Math.floor(account.weeklyResetAtMs / 1000) } });
  });

  it.each([
    ['401', { type: 'unauthorized' } as const, 401],
    ['500', { type: 'server_error' } as const, 500],
    ['503', { type: 'server_error', status: 503 } as const, 503],
  ])('scripted %s in OpenAI error shape', async (_name, fault, status) => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    sim.script({ endpoint: 'codex_responses', fault });
    const response = await postResponses(sim, codexAuthHeaders(sim.codexAccount('c')));
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: { message: expect.any(String) } });
  });
});
