/**
 * A Codex WebSocket session goes through the same request pipeline as an HTTP request: a refused
 * handshake gets the same auth recovery, and every session — opened or refused — is counted in
 * quotamesh_requests_total, logged with one `request` line and written to the ledger.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerLines, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BETA = { 'openai-beta': 'responses_websockets=2026-02-06' };

function connect(harness: Harness): WebSocket {
  return new WebSocket(`${harness.node.url.replace('http', 'ws')}/v1/responses`, {
    headers: { authorization: `Bearer ${harness.userToken}`, ...BETA },
  });
}

/** Resolves 'open', or the HTTP status the upgrade was refused with. */
function opened(socket: WebSocket): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve('open'));
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', reject);
  });
}

async function oneTurn(socket: WebSocket): Promise<void> {
  const events: string[] = [];
  socket.on('message', (data) => events.push((JSON.parse(data.toString()) as { type: string }).type));
  socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
  await waitFor(() => events.includes('response.completed'), 'the turn to complete');
}

/** A session that opens, completes one turn and closes. */
async function oneSession(harness: Harness): Promise<void> {
  const socket = connect(harness);
  expect(await opened(socket)).toBe('open');
  await oneTurn(socket);
  socket.close();
}

/** Waits for the first Codex line of quotamesh_requests_total on /metrics. */
function codexRequestsLine(harness: Harness): Promise<string> {
  return waitFor(async () => {
    const response = await fetch(`${harness.node.url}/metrics`, { headers: { authorization: `Bearer ${harness.adminToken}` } });
    return (await response.text()).split('\n').find((text) => text.startsWith('quotamesh_requests_total{provider="codex"'));
  }, 'a Codex line in quotamesh_requests_total');
}

function requestLogLines(harness: Harness): Array<Record<string, unknown>> {
  return harness.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
}

describe('Codex WebSocket sessions in the request pipeline', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('recovers from a 401 on the handshake by refreshing the token, as HTTP does', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    // The file's access token dies at the vendor; only a refresh (and one retry) gets a session.
    harness.sim.expireCodexToken('cx-a');
    await oneSession(harness);
    expect(harness.logs.some((line) => line.includes('auth recovered, retrying once'))).toBe(true);
  });

  it('counts a session in quotamesh_requests_total once it closes', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    await oneSession(harness);
    const line = await codexRequestsLine(harness);
    expect(line).toBe('quotamesh_requests_total{provider="codex",credential="cx-a",status="101"} 1');
  });

  it("writes one request log line and one ledger line per session, with the turn's tokens", async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    await oneSession(harness);
    const h = harness;
    const [logged] = await waitFor(() => requestLogLines(h).length > 0 && requestLogLines(h), 'a request log line');
    expect(logged).toMatchObject({ provider: 'codex', user: 'alice', credential: 'cx-a', model: 'gpt-5-codex', status: 101 });
    expect(logged?.outputTokens).toBeGreaterThan(0);
    expect(requestLogLines(h)).toHaveLength(1);
    const [ledger] = await waitFor(() => ledgerLines(h).length > 0 && ledgerLines(h), 'a ledger line');
    expect(ledger).toMatchObject({ provider: 'codex', user: 'alice', credential: 'cx-a', model: 'gpt-5-codex', status: 101 });
    expect(ledger?.output_tokens).toBe(logged?.outputTokens);
  });

  it('counts, logs and records a refused handshake as HTTP does a refused request', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    harness.sim.script({ endpoint: 'codex_handshake', fault: { type: 'rate_limit', retryAfterSeconds: 600 } });
    expect(await opened(connect(harness))).toBe(429);
    const line = await codexRequestsLine(harness);
    expect(line).toBe('quotamesh_requests_total{provider="codex",credential="cx-a",status="429"} 1');
    expect(requestLogLines(harness)).toMatchObject([{ provider: 'codex', status: 429 }]);
    expect(ledgerLines(harness)).toMatchObject([{ provider: 'codex', status: 429 }]);
  });

  it('a handshake refused because every account is spent carries the x-codex aggregate headers and usage_limit_reached', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    harness.sim.script({ endpoint: 'codex_handshake', fault: { type: 'rate_limit', retryAfterSeconds: 600 } });
    const socket = connect(harness);
    const refused = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      socket.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }),
        );
      });
      socket.once('error', reject);
    });
    expect(refused.status).toBe(429);
    expect(refused.headers['x-codex-primary-used-percent']).toEqual(expect.any(String));
    expect(refused.headers['x-codex-primary-reset-at']).toEqual(expect.any(String));
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { type: 'usage_limit_reached', resets_at: expect.any(Number) } });
  });

  it("hands the client the upstream 101's turn state, reasoning flag, models etag and model", async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    const socket = connect(harness);
    const upgrade = new Promise<Record<string, string | string[] | undefined>>((resolve) =>
      socket.once('upgrade', (response) => resolve(response.headers)),
    );
    expect(await opened(socket)).toBe('open');
    const headers = await upgrade;
    socket.close();
    expect(headers['x-codex-turn-state']).toMatch(/^ts_cx-a_/);
    expect(headers['x-reasoning-included']).toBe('true');
    expect(headers['x-models-etag']).toBeTruthy();
    expect(headers['openai-model']).toBe('gpt-5-codex');
    // One account's numbers stay the account's: the client gets the pool through events instead.
    expect(headers['x-codex-primary-used-percent']).toBeUndefined();
    expect(headers['set-cookie']).toBeUndefined();
  });

  it('replays a turn refused in-band for quota on another account before anything reached the client', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    // Whichever account serves the first turn answers it with usage_limit_reached as its first event.
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit', window: 'seven_day' } });
    const socket = connect(harness);
    expect(await opened(socket)).toBe('open');
    const frames: Array<{ type: string }> = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as { type: string }));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => frames.some((frame) => frame.type === 'response.completed' || frame.type === 'error'), 'the turn to end');
    expect(frames.map((frame) => frame.type)).not.toContain('error');
    expect(frames.map((frame) => frame.type)).toContain('response.completed');
    const served = ['cx-a', 'cx-b'].filter((id) => (harness?.sim.codexAccount(id).counters.responses ?? 0) > 0);
    expect(served).toEqual(['cx-a', 'cx-b']);
    // The refusing account is benched as an HTTP 429 benches it; the session stays open on the other.
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'again' }] }));
    await waitFor(() => frames.filter((frame) => frame.type === 'response.completed').length === 2, 'a second turn on the same session');
    socket.close();
    const h = harness;
    const [logged] = await waitFor(() => requestLogLines(h).length > 0 && requestLogLines(h), 'a request log line');
    expect(logged).toMatchObject({ status: 101 });
  });

  it('relays the refusal of a turn that continues an upstream response (previous_response_id)', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit' } });
    const socket = connect(harness);
    expect(await opened(socket)).toBe('open');
    const frames: Array<{ type: string; error?: { type?: string } }> = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as { type: string }));
    socket.send(
      JSON.stringify({
        type: 'response.create',
        model: 'gpt-5-codex',
        previous_response_id: 'resp_1',
        input: [{ role: 'user', content: 'hi' }],
      }),
    );
    const error = await waitFor(() => frames.find((frame) => frame.type === 'error'), 'the refusal');
    expect(error.error?.type).toBe('usage_limit_reached');
  });

  it('relays the quota refusal and closes with 1013 when no other account can take the turn', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
    harness.sim.script({ endpoint: 'codex_responses', fault: { type: 'rate_limit' } });
    const socket = connect(harness);
    expect(await opened(socket)).toBe('open');
    const frames: Array<{ type: string; error?: { type?: string } }> = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as { type: string }));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    expect(await closed).toBe(1013);
    expect(frames.map((frame) => frame.error?.type)).toContain('usage_limit_reached');
  });

  it('cuts off a client that floods frames while its turn moves (bounded queue)', async () => {
    harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro' },
        { id: 'cx-b', plan: 'pro' },
      ],
    });
    const socket = connect(harness);
    expect(await opened(socket)).toBe('open');
    // The turn is refused; the next account's handshake hangs, so the move stays in progress.
    harness.sim.script([
      { endpoint: 'codex_responses', fault: { type: 'rate_limit' } },
      { endpoint: 'codex_handshake', fault: { type: 'slow', delayMs: 120_000 } },
    ]);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    const h = harness;
    await waitFor(() => h.sim.received.filter((request) => request.method === 'GET').length >= 2, 'the move to open a second upstream');
    for (let i = 0; i < 3; i += 1) socket.send(Buffer.alloc(3 * 1024 * 1024, 0x61), { binary: true });
    expect(await closed).toBe(1008);
  });
});
