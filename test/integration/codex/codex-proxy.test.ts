import OpenAI from 'openai';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

function client(harness: Harness): OpenAI {
  return new OpenAI({ baseURL: `${harness.node.url}/v1`, apiKey: harness.userToken, maxRetries: 0 });
}

/** Which simulated Codex account served the last /responses request. */
function lastServedBy(harness: Harness): string | undefined {
  const last = [...harness.sim.received].reverse().find((request) => request.path.includes('/backend-api/codex/responses'));
  return harness.sim.codexAccounts.find((account) => account.accountId === last?.headers['chatgpt-account-id'])?.id;
}

describe('Codex through a node', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('streams a Responses API answer incrementally with the official SDK', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    // The upstream sends three events and then holds the stream: the client must see them now.
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'stall', afterEvents: 3 } });
    const abort = new AbortController();
    const stream = await client(harness).responses.create({ model: 'gpt-5-codex', input: 'hello', stream: true }, { signal: abort.signal });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (types.length === 3) break;
    }
    expect(types[0]).toBe('response.created');
    abort.abort();
    const forwarded = harness.sim.received.find((request) => request.path.includes('/backend-api/codex/responses'));
    expect(forwarded?.path).toBe('/backend-api/codex/responses');
    expect(JSON.stringify(forwarded?.headers)).not.toContain(harness.userToken);
    expect(forwarded?.headers['chatgpt-account-id']).toBe(harness.sim.codexAccount('cx-a').accountId);
  });

  it("answers a full stream and carries the aggregate x-codex headers, never one account's", async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro', fiveHourUtilization: 20, weeklyUtilization: 40 }] });
    const { data: stream, response } = await client(harness)
      .responses.create({ model: 'gpt-5-codex', input: 'hello', stream: true })
      .withResponse();
    let completed = false;
    for await (const event of stream) if (event.type === 'response.completed') completed = true;
    expect(completed).toBe(true);
    expect(Number(response.headers.get('x-codex-primary-used-percent'))).toBeGreaterThanOrEqual(20);
    expect(response.headers.get('x-codex-primary-window-minutes')).toBe('300');
    expect(response.headers.get('x-codex-secondary-window-minutes')).toBe('10080');
    expect(response.headers.get('x-quotamesh-plan-weight')).toBe('10');
    expect(response.headers.get('x-codex-credits-balance')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('fails over transparently when the first account answers 429', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    const h = harness;
    await waitFor(async () => {
      const status = await fetch(`${h.node.url}/v1/status?provider=codex`, { headers: { authorization: `Bearer ${h.userToken}` } });
      return ((await status.json()) as { plan_weight: number }).plan_weight === 20;
    }, 'the Codex pool to reach plan weight 20');
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit' } });
    const response = await client(harness).responses.create({ model: 'gpt-5-codex', input: 'hello' });
    expect(response.status).toBe('completed');
    const limited = harness.sim.codexAccounts.filter((account) => account.counters.responses > 0);
    expect(limited).toHaveLength(2);
  });

  it.each([
    ['a session_id', { session_id: 'conversation-1' }],
    ['only a thread-id', { 'thread-id': 'thread-1' }],
  ])('keeps a conversation on one account when the client names %s', async (_, headers) => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    const openai = client(harness);
    const served = new Set<string | undefined>();
    for (let i = 0; i < 4; i += 1) {
      await openai.responses.create({ model: 'gpt-5-codex', input: `turn ${i}` }, { headers });
      served.add(lastServedBy(harness));
    }
    expect(served.size).toBe(1);
  });

  it('relays the backend\'s own 400 {"detail"} unchanged, tried on one account only', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    await fetch(`${harness.sim.url}/_sim/codex/strict`, { method: 'POST', body: JSON.stringify({ enabled: true }) });
    const response = await fetch(`${harness.node.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-codex', input: 'hello', store: true, stream: true, instructions: 'x' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: 'Store must be set to false' });
    const tried = harness.sim.received.filter((request) => request.path.includes('/backend-api/codex/responses'));
    expect(tried).toHaveLength(1);
  });

  it('relays WebSocket frames both ways and replaces codex.rate_limits with the aggregate', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro', fiveHourUtilization: 33 }] });
    const socket = new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: `Bearer ${harness.userToken}`, 'openai-beta': 'responses_websockets=2026-02-06' },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const events: Array<Record<string, any>> = [];
    socket.on('message', (data) => events.push(JSON.parse(data.toString()) as Record<string, any>));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => events.some((event) => event.type === 'response.completed'), 'response.completed');
    const limits = events.find((event) => event.type === 'codex.rate_limits');
    expect(limits?.rate_limits.primary.window_minutes).toBe(300);
    expect(limits?.credits).toBeUndefined();
    expect(limits?.plan_type).toBeUndefined();
    socket.close();
    await waitFor(() => harness!.sim.state().openWebSockets === 0, 'the simulator to close its WebSocket');
  });

  it('closes a WebSocket session cleanly when its credential becomes unusable', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    const socket = new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: `Bearer ${harness.userToken}`, 'openai-beta': 'responses_websockets=2026-02-06' },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    // The next turn is refused in-band with a 429: the account is spent, so the session ends
    // with "try again later" and the client reconnects to whatever is still usable.
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit', retryAfterSeconds: 3600 } });
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    expect(await closed).toBe(1013);
  });

  it('moves a WebSocket handshake refused with 429 to the next account', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    harness.sim.script({ endpoint: 'codex_handshake', fault: { type: 'rate_limit' } });
    const socket = new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: `Bearer ${harness.userToken}`, 'openai-beta': 'responses_websockets=2026-02-06' },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    // One handshake per account, one of them refused: the session is on the other account, not
    // a retry of the refused one (the scripted 429 fires once, so a retry would also open).
    const counters = ['cx-a', 'cx-b'].map((id) => harness!.sim.codexAccount(id).counters);
    expect(counters.map((counter) => counter.websocketConnections)).toEqual([1, 1]);
    expect(counters.map((counter) => counter.rateLimited).sort()).toEqual([0, 1]);
    expect(harness.sim.state().openWebSockets).toBe(1);
    socket.close();
  });

  it('refuses a WebSocket with an unknown token before the upgrade', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    const socket = new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: 'Bearer nobody-0123456789abcdef' },
    });
    const status = await new Promise<number>((resolve) =>
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });
});
