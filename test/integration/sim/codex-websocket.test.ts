import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { CODEX_MODEL, WEBSOCKET_BETA, codexAuthHeaders, connectCodex, refusedHandshake, type CodexSocket } from './codex-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let sim: Simulator | undefined;
const sockets: CodexSocket[] = [];
afterEach(async () => {
  for (const client of sockets.splice(0)) client.socket.terminate();
  await sim?.close();
  sim = undefined;
});

async function open(specs: Parameters<typeof startSimulator>[0] = {}): Promise<CodexSocket> {
  sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1, ...specs });
  const client = await connectCodex(sim, codexAuthHeaders(sim.codexAccount('c')));
  sockets.push(client);
  return client;
}

function create(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'response.create', model: CODEX_MODEL, input: [{ role: 'user', content: 'over the socket' }], ...extra };
}

describe('WebSocket /backend-api/codex/responses', () => {
  it('answers response.create with codex.rate_limits and the event sequence as text frames', async () => {
    const client = await open();
    client.send(create());
    const frames = await client.framesUntil('response.completed');
    const types = frames.map((frame) => frame.type);
    expect(types[0]).toBe('codex.rate_limits');
    expect(types.slice(1, 5)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.at(-1)).toBe('response.completed');
    const text = frames
      .filter((frame) => frame.type === 'response.output_text.delta')
      .map((frame) => frame['delta'])
      .join('');
    expect(text).toContain('over the socket');
  });

  it('reports rate limits by window minutes in the codex.rate_limits event', async () => {
    const client = await open({ codexAccounts: [{ id: 'c', plan: 'pro', weeklyUtilization: 10 }] });
    client.send(create());
    const [event] = await client.framesUntil('codex.rate_limits');
    const account = sim?.codexAccount('c');
    expect(event).toMatchObject({
      type: 'codex.rate_limits',
      plan_type: 'pro',
      rate_limits: {
        primary: { window_minutes: 300, reset_at: Math.floor((account?.fiveHourResetAtMs ?? 0) / 1000) },
        secondary: { window_minutes: 10080 },
      },
      credits: { has_credits: false, unlimited: false, balance: '0' },
    });
    expect((event?.['rate_limits'] as { secondary: { used_percent: number } }).secondary.used_percent).toBeGreaterThan(10);
  });

  it('a weekly-only plan has a weekly primary and no secondary', async () => {
    const client = await open({ codexAccounts: [{ id: 'c', plan: 'pro', isWeeklyOnly: true }] });
    client.send(create());
    const [event] = await client.framesUntil('codex.rate_limits');
    expect(event?.['rate_limits']).toMatchObject({ primary: { window_minutes: 10080 }, secondary: null });
  });

  it('serves several turns on one connection, one after the other', async () => {
    const client = await open();
    client.send(create());
    client.send(create());
    const frames = await client.framesUntil('response.completed', 2);
    const firstDone = frames.findIndex((frame) => frame.type === 'response.completed');
    expect(frames.slice(0, firstDone).filter((frame) => frame.type === 'response.created')).toHaveLength(1);
    expect(sim?.codexAccount('c').counters).toMatchObject({ responses: 2, websocketConnections: 1 });
  });

  it('sends a full account 429 as an error event and keeps the session open', async () => {
    const client = await open();
    sim?.setCodexUsage('c', { fiveHourUtilization: 100 });
    client.send(create());
    const [error] = await client.framesUntil('error');
    expect(error).toMatchObject({
      type: 'error',
      status: 429,
      error: {
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        plan_type: 'plus',
        resets_in_seconds: expect.any(Number),
      },
      headers: { 'x-codex-primary-used-percent': '100' },
    });
    sim?.setCodexUsage('c', { fiveHourUtilization: 0 });
    client.send(create());
    await client.framesUntil('response.completed');
  });

  it('answers a warm-up (generate:false) without charging', async () => {
    const client = await open();
    client.send(create({ generate: false }));
    const frames = await client.framesUntil('response.completed');
    expect(frames.some((frame) => frame.type === 'response.output_text.delta')).toBe(false);
    expect(sim?.codexAccount('c').fiveHourUtilization).toBe(0);
  });

  it('rejects a frame that is not response.create with a 400 error event', async () => {
    const client = await open();
    client.send({ type: 'session.update' });
    const [error] = await client.framesUntil('error');
    expect(error).toMatchObject({ status: 400, error: { type: 'invalid_request_error' } });
  });

  it('records the handshake, session_id included, and counts the open session', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const client = await connectCodex(sim, { ...codexAuthHeaders(sim.codexAccount('c')), session_id: 'ws-session' });
    sockets.push(client);
    expect(sim.received[0]).toMatchObject({ method: 'GET', path: '/backend-api/codex/responses', sessionId: 'ws-session' });
    await waitFor(() => sim?.state().openWebSockets === 1, 'the simulator to count the WebSocket');
    client.socket.close();
    await waitFor(() => sim?.state().openWebSockets === 0, 'the simulator to see the WebSocket close');
  });

  it('a stalled turn sends K frames; a cut one drops the connection', async () => {
    const client = await open();
    sim?.script([{ endpoint: 'codex_responses', fault: { type: 'stall', afterEvents: 2 } }]);
    client.send(create());
    const frames = await client.framesUntil('response.in_progress');
    expect(frames.map((frame) => frame.type)).toEqual(['codex.rate_limits', 'response.created', 'response.in_progress']);

    const second = await connectCodex(sim as Simulator, codexAuthHeaders((sim as Simulator).codexAccount('c')));
    sockets.push(second);
    sim?.script({ endpoint: 'codex_responses', fault: { type: 'cut', afterEvents: 3 } });
    second.send(create());
    await second.closed;
    expect(second.frames.map((frame) => frame.type)).not.toContain('response.completed');
  });
});

describe('WebSocket handshake', () => {
  it('answers a scripted handshake 429 over HTTP, before any upgrade', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    sim.script({ endpoint: 'codex_handshake', account: 'c', fault: { type: 'rate_limit' } });
    const refused = await refusedHandshake(sim, { ...codexAuthHeaders(sim.codexAccount('c')), 'openai-beta': WEBSOCKET_BETA });
    expect(refused.status).toBe(429);
    expect(refused.headers['x-codex-primary-used-percent']).toBe('100');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { type: 'usage_limit_reached' } });
    expect(sim.state().openWebSockets).toBe(0);
  });

  it('refuses the handshake of an account already out of quota', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c', weeklyUtilization: 100 }] });
    const refused = await refusedHandshake(sim, { ...codexAuthHeaders(sim.codexAccount('c')), 'openai-beta': WEBSOCKET_BETA });
    expect(refused.status).toBe(429);
    expect(refused.headers['x-codex-secondary-used-percent']).toBe('100');
  });

  it.each([
    ['a wrong account id', { 'chatgpt-account-id': 'someone-else' }, 401, 'account_mismatch'],
    ['an unknown token', { authorization: 'Bearer nope' }, 401, 'token_invalid'],
    ['no OpenAI-Beta header', { 'openai-beta': '' }, 400, 'missing_beta_header'],
  ])('refuses %s', async (_name, override, status, code) => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const headers = { ...codexAuthHeaders(sim.codexAccount('c')), 'openai-beta': WEBSOCKET_BETA, ...override };
    const refused = await refusedHandshake(sim, headers);
    expect(refused.status).toBe(status);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code } });
  });

  it('carries x-codex-* headers on the 101', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const client = await connectCodex(sim, codexAuthHeaders(sim.codexAccount('c')));
    sockets.push(client);
    const upgrade = client.upgradeHeaders;
    expect(upgrade['x-codex-primary-window-minutes']).toBe('300');
    expect(upgrade['x-codex-plan-type']).toBe('plus');
  });

  it('carries what Codex reads from the 101: turn state, reasoning, models etag, server model', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const client = await connectCodex(sim, codexAuthHeaders(sim.codexAccount('c')));
    sockets.push(client);
    expect(client.upgradeHeaders['x-codex-turn-state']).toMatch(/^ts_c_/);
    expect(client.upgradeHeaders['x-reasoning-included']).toBe('true');
    expect(client.upgradeHeaders['x-models-etag']).toBeTruthy();
    expect(client.upgradeHeaders['openai-model']).toBe(CODEX_MODEL);
    expect(String(client.upgradeHeaders['set-cookie'])).toMatch(/^__cf_bm=/);
    const again = await connectCodex(sim, { ...codexAuthHeaders(sim.codexAccount('c')), 'x-codex-turn-state': 'ts_sticky' });
    sockets.push(again);
    expect(again.upgradeHeaders['x-codex-turn-state']).toBe('ts_sticky');
  });

  it('accepts response.processed acknowledgements silently and keeps serving turns', async () => {
    const client = await open();
    client.send(create());
    const frames = await client.framesUntil('response.completed');
    const completed = frames.find((frame) => frame.type === 'response.completed') as { response?: { id?: string } } | undefined;
    client.send({ type: 'response.processed', response_id: completed?.response?.id ?? 'resp' });
    client.send(create());
    const all = await client.framesUntil('response.completed', 2);
    expect(all.some((frame) => frame.type === 'error')).toBe(false);
  });
});
