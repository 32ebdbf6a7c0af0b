/**
 * The admin API against a real node and the simulator (docs/ADMIN.md): who may call it, what
 * each action does to the pool, that a disabled credential finishes what it is serving, and
 * that the marks outlive a restart.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialStatusRow, NodeStatus } from '../../../src/status/index.ts';
import { startHarness, type Harness, type HarnessOptions } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const PEER_TOKEN = 'laptop-peer-token-0123456789-abc';
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Accounts a and b behind a fallback balancer (a first while usable), and the laptop's capacity as `lap`. */
function twoAccountsAndAPeer(extra: HarnessOptions = {}): Promise<Harness> {
  return startHarness({
    accounts: [
      { id: 'a', plan: 'max20x' },
      { id: 'b', plan: 'max20x' },
    ],
    claude: (credentials) => ({
      route: 'pool',
      credentials: [
        ...credentials,
        { tag: 'lap', type: 'external', peer: 'laptop' },
        { tag: 'pool', type: 'balancer', strategy: 'fallback', credentials: ['a', 'b'] },
      ],
    }),
    config: { peers: [{ name: 'laptop', token: PEER_TOKEN }] },
    ...extra,
  });
}

/** `token: null` sends none. */
function admin(h: Harness, path: string, token: string | null = h.adminToken, body?: unknown): Promise<Response> {
  return fetch(`${h.node.url}/v1/admin/credentials/${path}`, {
    method: 'POST',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function adminOk(h: Harness, path: string, body?: unknown): Promise<{ changed: boolean; credential: CredentialStatusRow }> {
  const response = await admin(h, path, h.adminToken, body);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as { changed: boolean; credential: CredentialStatusRow };
}

function postMessage(h: Harness, body: Record<string, unknown> = MESSAGE): Promise<Response> {
  return fetch(`${h.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.userToken}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
}

/** Upstream /v1/messages requests per account during `action`. */
async function messagesDuring(h: Harness, action: () => Promise<void>): Promise<Record<string, number>> {
  const before = new Map(h.sim.accounts.map((account) => [account.id, account.counters.messages]));
  await action();
  return Object.fromEntries(h.sim.accounts.map((account) => [account.id, account.counters.messages - (before.get(account.id) ?? 0)]));
}

async function adminRow(h: Harness, tag: string): Promise<CredentialStatusRow | undefined> {
  const response = await fetch(`${h.node.url}/v1/status`, { headers: { authorization: `Bearer ${h.adminToken}` } });
  const status = (await response.json()) as NodeStatus;
  return status.providers.claude?.credentials?.find((row) => row.tag === tag);
}

function adminLogLines(h: Harness): Array<Record<string, unknown>> {
  return h.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => String(line['msg']).startsWith('admin action'));
}

describe('who may act', () => {
  it('no token is 401, a user token and a peer token are 403, and nothing changes', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const cases = [
      [null, 401, 'authentication_error'],
      ['wrong-token-0123456789-abcdefgh', 401, 'authentication_error'],
      [h.userToken, 403, 'permission_error'],
      [PEER_TOKEN, 403, 'permission_error'],
    ] as const;
    for (const [token, status, type] of cases) {
      for (const action of ['disable', 'enable', 'reset-cooldown', 'poll']) {
        const response = await admin(h, `claude/a/${action}`, token);
        expect(response.status, `${action} with ${token ?? 'no token'}`).toBe(status);
        expect(await response.json()).toMatchObject({ type: 'error', error: { type } });
      }
    }
    // Even an unknown credential is not confirmed or denied to a caller who may not ask.
    expect((await admin(h, 'claude/nope/disable', h.userToken)).status).toBe(403);
    expect((await adminRow(h, 'a'))?.state).toBe('usable');
    expect(adminLogLines(h)).toEqual([]);
  });

  it('unknown provider, credential, balancer or action is 404 in JSON', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const cases = [
      ['gemini/a/disable', 'no provider "gemini"'],
      ['codex/a/disable', 'no provider "codex"'],
      ['claude/nope/disable', 'no credential "nope" in claude'],
      ['claude/pool/disable', 'claude/pool is a balancer'],
      ['claude/a/explode', 'no admin action "explode"'],
    ];
    for (const [path, message] of cases) {
      const response = await admin(h, path ?? '');
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    }
  });

  it('a body that is not {"reason": one short line} is 400', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    for (const body of [[1], 'text', { reason: 7 }, { reason: 'x'.repeat(201) }, { reason: 'two\nlines' }]) {
      expect((await admin(h, 'claude/a/disable', h.adminToken, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await adminRow(h, 'a'))?.state).toBe('usable');
  });
});

describe('disable and enable', () => {
  it('a disabled credential takes no new requests and shows who and when; enable puts it back', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    expect(await messagesDuring(h, async () => void (await (await postMessage(h)).arrayBuffer()))).toEqual({ a: 1, b: 0 });

    const before = Math.floor(Date.now() / 1000);
    const answer = await adminOk(h, 'claude/a/disable', { reason: 'owner is travelling' });
    expect(answer).toMatchObject({ action: 'disable', provider: 'claude', tag: 'a', changed: true });
    expect(answer.credential).toMatchObject({ tag: 'a', state: 'disabled', disabled: { by: 'admin', reason: 'owner is travelling' } });
    expect(answer.credential.disabled?.at).toBeGreaterThanOrEqual(before);
    expect((await adminRow(h, 'a'))?.disabled).toEqual(answer.credential.disabled);
    const metrics = await (await fetch(`${h.node.url}/metrics`, { headers: { authorization: `Bearer ${h.adminToken}` } })).text();
    expect(metrics).toContain('quotamesh_credential_disabled{provider="claude",credential="a"} 1');
    expect(metrics).toContain('quotamesh_credential_disabled{provider="claude",credential="b"} 0');

    const counts = await messagesDuring(h, async () => {
      for (let index = 0; index < 3; index += 1) expect((await postMessage(h)).status).toBe(200);
    });
    expect(counts).toEqual({ a: 0, b: 3 });
    // Disabling twice keeps the first who and when.
    const again = await adminOk(h, 'claude/a/disable');
    expect(again.changed).toBe(false);
    expect(again.credential.disabled).toEqual(answer.credential.disabled);

    const enabled = await adminOk(h, 'claude/a/enable');
    expect(enabled).toMatchObject({ changed: true, credential: { state: 'usable' } });
    expect(enabled.credential.disabled).toBeUndefined();
    expect(await messagesDuring(h, async () => void (await (await postMessage(h)).arrayBuffer()))).toEqual({ a: 1, b: 0 });
    expect((await adminOk(h, 'claude/a/enable')).changed).toBe(false);

    const lines = adminLogLines(h);
    expect(lines.map((line) => [line['action'], line['provider'], line['credential'], line['by'], line['changed']])).toEqual([
      ['disable', 'claude', 'a', 'admin', true],
      ['disable', 'claude', 'a', 'admin', false],
      ['enable', 'claude', 'a', 'admin', true],
      ['enable', 'claude', 'a', 'admin', false],
    ]);
  });

  it('the aggregate leaves a disabled credential out, and with every member disabled a request is refused', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const weight = async (): Promise<number | undefined> => {
      const response = await fetch(`${h.node.url}/v1/status`, { headers: { authorization: `Bearer ${h.userToken}` } });
      return ((await response.json()) as NodeStatus).providers.claude?.plan_weight;
    };
    await waitFor(async () => (await weight()) === 20, 'both accounts to report their weight');
    await adminOk(h, 'claude/a/disable');
    expect(await weight()).toBe(10);
    await adminOk(h, 'claude/b/disable');
    const counts = await messagesDuring(h, async () => {
      const response = await postMessage(h);
      expect(response.status).toBeGreaterThanOrEqual(500);
      await response.arrayBuffer();
    });
    expect(counts).toEqual({ a: 0, b: 0 });
  });

  it('a request in flight on a credential that gets disabled completes', async () => {
    const h = (harness = await twoAccountsAndAPeer({ chunkDelayMs: 150 }));
    const streaming = await postMessage(h, { ...MESSAGE, stream: true });
    expect(streaming.status).toBe(200);
    // Read eagerly in the background, so `finished` says whether the node had ended the stream.
    let text = '';
    let finished = false;
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of streaming.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
      finished = true;
    })();
    await waitFor(() => text.includes('message_start'), 'the stream to start');
    expect(h.sim.account('a').counters.messages).toBe(1);

    await adminOk(h, 'claude/a/disable');
    // Still streaming when the disable was answered, so what follows is the real test.
    expect(finished).toBe(false);
    await reading;
    expect(text).toContain('event: message_stop');
    expect(await messagesDuring(h, async () => void (await (await postMessage(h)).arrayBuffer()))).toEqual({ a: 0, b: 1 });
  });

  it('stays disabled across a restart, with the same who and when, written atomically to state.json', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const answer = await adminOk(h, 'claude/a/disable', { reason: 'rotating' });
    // On disk before the answer, not after the next debounce.
    const saved = JSON.parse(await readFile(join(h.dir, 'state', 'state.json'), 'utf8')) as { disabled?: Record<string, unknown> };
    expect(saved.disabled).toEqual({ 'claude/a': { by: 'admin', at_ms: expect.any(Number), reason: 'rotating' } });

    await h.restartNode();
    expect(await adminRow(h, 'a')).toMatchObject({ state: 'disabled', disabled: answer.credential.disabled });
    expect(await messagesDuring(h, async () => void (await (await postMessage(h)).arrayBuffer()))).toEqual({ a: 0, b: 1 });

    await adminOk(h, 'claude/a/enable');
    await h.restartNode();
    expect((await adminRow(h, 'a'))?.state).toBe('usable');
  });

  it("another node's capacity can be disabled too", async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const answer = await adminOk(h, 'claude/lap/disable');
    expect(answer.credential).toMatchObject({ tag: 'lap', type: 'external', peer: 'laptop', state: 'disabled' });
    expect((await adminOk(h, 'claude/lap/enable')).credential.state).toBe('unavailable');
  });
});

describe('reset-cooldown', () => {
  it('ends a rate-limit bench and the model blocks', async () => {
    const h = (harness = await twoAccountsAndAPeer({
      accounts: [
        { id: 'a', plan: 'max20x', opusWeeklyUtilization: 100 },
        { id: 'b', plan: 'max20x' },
      ],
    }));
    // An opus request learns a's opus block (and is served by b) ...
    expect((await postMessage(h, { ...MESSAGE, model: 'claude-opus-4-5' })).status).toBe(200);
    expect((await adminRow(h, 'a'))?.reason).toContain('opus until');
    // ... and an hour-long 429 benches a. (Polling first: the node's own first poll, a second
    // after start, would end the bench early.)
    await adminOk(h, 'claude/a/poll');
    h.sim.script({ account: 'a', fault: { type: 'rate_limit_bare', retryAfterSeconds: 3600 } });
    expect((await postMessage(h)).status).toBe(200);
    expect(await adminRow(h, 'a')).toMatchObject({ state: 'rate_limited', retry_at: expect.any(Number) });

    const answer = await adminOk(h, 'claude/a/reset-cooldown');
    expect(answer).toMatchObject({ action: 'reset-cooldown', credential: { tag: 'a', state: 'usable', retry_at: 0 } });
    expect(answer.credential.reason).toBeUndefined();
    expect(await messagesDuring(h, async () => void (await (await postMessage(h)).arrayBuffer()))).toEqual({ a: 1, b: 0 });
  });

  it('survives a restart: the cleared cooldown does not come back from state.json', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    await adminOk(h, 'claude/a/poll');
    h.sim.script({ account: 'a', fault: { type: 'rate_limit_bare', retryAfterSeconds: 3600 } });
    expect((await postMessage(h)).status).toBe(200);
    expect((await adminRow(h, 'a'))?.state).toBe('rate_limited');
    await adminOk(h, 'claude/a/reset-cooldown');
    await h.restartNode();
    expect((await adminRow(h, 'a'))?.state).toBe('usable');
  });
});

describe('poll', () => {
  it('asks the account now and answers with the fresh row', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    h.sim.setUsage('b', { fiveHourUtilization: 42, weeklyUtilization: 17 });
    const usageBefore = h.sim.account('b').counters.usage;
    const answer = await adminOk(h, 'claude/b/poll');
    expect(answer).toMatchObject({
      action: 'poll',
      poll: 'ok',
      credential: { tag: 'b', five_hour_utilization: 42, weekly_utilization: 17 },
    });
    expect(h.sim.account('b').counters.usage).toBeGreaterThan(usageBefore);
  });

  it('a failed poll is 502 and says so', async () => {
    const h = (harness = await twoAccountsAndAPeer());
    h.sim.script({ endpoint: 'usage', account: 'b', times: 10, fault: { type: 'server_error' } });
    const response = await admin(h, 'claude/b/poll');
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('polling claude/b failed');
  });

  it("is 409 for another node's capacity: there is no account here to poll", async () => {
    const h = (harness = await twoAccountsAndAPeer());
    const response = await admin(h, 'claude/lap/poll');
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("another node's capacity");
  });
});
