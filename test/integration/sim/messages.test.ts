import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { MODEL, UNIFIED, messageBody, postMessages, readEvents, sdkFor } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('POST /v1/messages', () => {
  it('answers the SDK with a Message and the unified headers', async () => {
    sim = await startSimulator({ accounts: [{ id: 'alice', plan: 'max5x' }] });
    const account = sim.account('alice');
    const { data, response } = await sdkFor(sim, account)
      .messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'ping' }] })
      .withResponse();
    expect(data.id).toMatch(/^msg_/);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.content[0]?.type === 'text' && data.content[0].text).toContain('alice');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get(`${UNIFIED}-status`)).toBe('allowed');
    expect(response.headers.get(`${UNIFIED}-representative-claim`)).toBe('five_hour');
    expect(Number(response.headers.get(`${UNIFIED}-5h-utilization`))).toBeGreaterThan(0);
    expect(Number(response.headers.get(`${UNIFIED}-5h-reset`))).toBe(Math.floor(account.fiveHourResetAtMs / 1000));
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-organization-id')).toBe(account.organizationUuid);
  });

  it('streams the real event sequence to the SDK', async () => {
    sim = await startSimulator({ chunkDelayMs: 1 });
    const account = sim.accounts[0];
    if (account === undefined) throw new Error('no account');
    const stream = sdkFor(sim, account).messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream please' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const message = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(2);
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]?.type === 'text' && message.content[0].text).toContain('stream please');
    expect(message.usage.output_tokens).toBeGreaterThan(1);
  });

  it('flushes each SSE event separately', async () => {
    sim = await startSimulator({ chunkDelayMs: 15 });
    const response = await postMessages(sim, sim.accounts[0]?.accessToken ?? '', messageBody({ stream: true }));
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get(`${UNIFIED}-5h-status`)).toBe('allowed');
    const { names, reads } = await readEvents(response);
    expect(names.at(-1)).toBe('message_stop');
    // Buffered output would arrive in one or two reads; per-event flushing gives many.
    expect(reads).toBeGreaterThanOrEqual(3);
  });

  it('records what it received, including the Authorization header', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.accessToken ?? '';
    await postMessages(sim, token);
    const [entry] = sim.received;
    expect(entry).toMatchObject({ method: 'POST', path: '/v1/messages?beta=true' });
    expect(entry?.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.parse(entry?.body ?? '{}')).toMatchObject({ model: MODEL });
  });

  it('grows utilization with every request', async () => {
    sim = await startSimulator({ accounts: [{ plan: 'pro' }] });
    const token = sim.accounts[0]?.accessToken ?? '';
    const first = Number((await postMessages(sim, token)).headers.get(`${UNIFIED}-5h-utilization`));
    const second = Number((await postMessages(sim, token)).headers.get(`${UNIFIED}-5h-utilization`));
    expect(second).toBeGreaterThan(first);
    expect(sim.accounts[0]?.fiveHourUtilization).toBeCloseTo(second * 100, 1);
  });

  it('rejects a full window with 429 until the clock passes its reset', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: [{ id: 'full', plan: 'pro', fiveHourUtilization: 100 }] });
    const token = sim.account('full').accessToken;
    const rejected = await postMessages(sim, token);
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get(`${UNIFIED}-status`)).toBe('rejected');
    expect(rejected.headers.get(`${UNIFIED}-5h-utilization`)).toBe('1');
    expect(rejected.headers.get('retry-after')).toBe(String(5 * 60 * 60));
    expect((await rejected.json()) as unknown).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });

    clock.advance(5 * 60 * 60 * 1000);
    const allowed = await postMessages(sim, token);
    expect(allowed.status).toBe(200);
    expect(Number(allowed.headers.get(`${UNIFIED}-5h-utilization`))).toBeLessThan(0.1);
  });

  it('counts tokens without charging the account', async () => {
    sim = await startSimulator();
    const token = sim.accounts[0]?.accessToken ?? '';
    const response = await postMessages(sim, token, messageBody({ max_tokens: undefined }), '/v1/messages/count_tokens');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect(sim.accounts[0]?.fiveHourUtilization).toBe(0);
  });

  it.each([
    ['malformed JSON', '{"model":'],
    ['missing max_tokens', messageBody({ max_tokens: undefined })],
    ['missing messages', messageBody({ messages: undefined })],
  ])('answers 400 invalid_request_error for %s', async (_name, body) => {
    sim = await startSimulator();
    const response = await postMessages(sim, sim.accounts[0]?.accessToken ?? '', body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});
