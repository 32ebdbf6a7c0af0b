/**
 * Whom a vendor's refusal is about decides what the node does with it (PROTOCOL.md › Errors):
 * a refusal about the request is relayed as the vendor sent it and benches nobody; one about the
 * account's windows benches that account; one about the account itself takes it out with a
 * reason; when every account is spent the client hears the real reset in its own client's terms.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ENTITLEMENT_MESSAGES, LONG_CONTEXT_BETA } from '../../../src/sim/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

function postClaude(h: Harness, body: Record<string, unknown> = MESSAGE, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.userToken}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
}

function postCodex(h: Harness): Promise<Response> {
  return fetch(`${h.node.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }], stream: true }),
  });
}

/** Upstream /v1/messages requests per account during `action`. */
async function messagesDuring(h: Harness, action: () => Promise<void>): Promise<Record<string, number>> {
  const before = new Map(h.sim.accounts.map((account) => [account.id, account.counters.messages]));
  await action();
  return Object.fromEntries(h.sim.accounts.map((account) => [account.id, account.counters.messages - (before.get(account.id) ?? 0)]));
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

function everyCredentialUsable(h: Harness, provider: 'claude' | 'codex'): void {
  const pool = h.node.pools[provider];
  const nowMs = Date.now();
  expect(pool?.allSnapshots(nowMs).map((snapshot) => [snapshot.tag, snapshot.state])).toEqual(
    pool?.allSnapshots(nowMs).map((snapshot) => [snapshot.tag, 'usable']),
  );
  expect([...(pool?.reasons(nowMs) ?? new Map()).entries()]).toEqual([]);
}

describe('refusals about the request', () => {
  it('a long-context and a fast-mode request on a pool of three: the vendor 429 body once each, nobody benched', async () => {
    const h = (harness = await startHarness({ accounts: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }));
    for (const [headers, body, message] of [
      [{ 'anthropic-beta': LONG_CONTEXT_BETA }, MESSAGE, ENTITLEMENT_MESSAGES.longContext],
      [{}, { ...MESSAGE, speed: 'fast' }, ENTITLEMENT_MESSAGES.fastMode],
    ] as const) {
      let response: Response | undefined;
      const counts = await messagesDuring(h, async () => {
        response = await postClaude(h, body, headers);
      });
      expect(response?.status).toBe(429);
      expect(await response?.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message } });
      // The vendor's words, never the one account's numbers.
      expect(response?.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBeNull();
      expect(total(counts)).toBe(1);
    }
    everyCredentialUsable(h, 'claude');
    for (let index = 0; index < 3; index += 1) expect((await postClaude(h)).status).toBe(200);
  });

  it('the Claude-Code-only 403 is relayed from the first account, not fanned out', async () => {
    const h = (harness = await startHarness({
      accounts: [
        { id: 'a', settings: { requiresClaudeCode: true } },
        { id: 'b', settings: { requiresClaudeCode: true } },
      ],
    }));
    let response: Response | undefined;
    const counts = await messagesDuring(h, async () => {
      response = await postClaude(h);
    });
    expect(response?.status).toBe(403);
    expect(await response?.json()).toMatchObject({
      type: 'error',
      error: { type: 'permission_error', message: ENTITLEMENT_MESSAGES.claudeCodeOnly },
    });
    expect(total(counts)).toBe(1);
    everyCredentialUsable(h, 'claude');
  });

  it('a plan without Codex: usage_not_included relayed once, nobody benched', async () => {
    const h = (harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', settings: { includesCodex: false } },
        { id: 'cx-b', settings: { includesCodex: false } },
      ],
    }));
    const before = h.sim.codexAccounts.map((account) => account.counters.responses);
    const response = await postCodex(h);
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ error: { type: 'usage_not_included' } });
    const after = h.sim.codexAccounts.map((account) => account.counters.responses);
    expect(after.reduce((sum, count, index) => sum + count - (before[index] ?? 0), 0)).toBe(1);
    everyCredentialUsable(h, 'codex');
  });
});

describe('refusals about the account itself', () => {
  it('a disabled organization is taken out with the reason in the admin rows, and not tried again', async () => {
    const h = (harness = await startHarness({ accounts: [{ id: 'a', settings: { isDisabled: true } }, { id: 'b' }] }));
    const first = await messagesDuring(h, async () => {
      for (let index = 0; index < 4; index += 1) expect((await postClaude(h)).status).toBe(200);
    });
    expect(first['a']).toBeLessThanOrEqual(1);
    expect(first['b']).toBe(4);
    const status = (await (await fetch(`${h.node.url}/v1/status`, { headers: { authorization: `Bearer ${h.adminToken}` } })).json()) as {
      providers: { claude: { credentials: Array<{ tag: string; state: string; reason?: string }> } };
    };
    const row = status.providers.claude.credentials.find((credential) => credential.tag === 'a');
    expect(row?.state).toBe('unavailable');
    expect(row?.reason).toContain('This organization has been disabled.');
  });
});

describe('when every account is spent', () => {
  it('Claude: 429 with the aggregate unified headers and the real reset', async () => {
    const resetAtMs = Date.now() + 2 * 3600_000;
    const h = (harness = await startHarness({
      accounts: [
        { id: 'a', fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs },
        { id: 'b', fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs },
      ],
    }));
    const response = await postClaude(h);
    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(response.headers.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(response.headers.get('anthropic-ratelimit-unified-5h-status')).toBe('rejected');
    const reset = Number(response.headers.get('anthropic-ratelimit-unified-reset'));
    expect(Math.abs(reset - Math.floor(resetAtMs / 1000))).toBeLessThanOrEqual(2);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Math.abs(Math.floor(Date.now() / 1000) + retryAfter - reset)).toBeLessThanOrEqual(5);
  });

  it('Codex: usage_limit_reached with resets_at, resets_in_seconds and plan_type, and the x-codex aggregate headers', async () => {
    const resetAtMs = Date.now() + 3 * 3600_000;
    const h = (harness = await startHarness({
      codexAccounts: [
        { id: 'cx-a', plan: 'pro', fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs },
        { id: 'cx-b', plan: 'plus', fiveHourUtilization: 100, fiveHourResetAtMs: resetAtMs },
      ],
    }));
    // Until the node has seen either account refuse, it may still try them; the answer is the same.
    await waitFor(async () => (await postCodex(h)).status === 429, 'the pool answering 429');
    const response = await postCodex(h);
    expect(response.status).toBe(429);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error['type']).toBe('usage_limit_reached');
    expect(typeof body.error['plan_type']).toBe('string');
    expect(Number.isInteger(body.error['resets_at'])).toBe(true);
    expect(Math.abs(Number(body.error['resets_at']) - Math.floor(resetAtMs / 1000))).toBeLessThanOrEqual(2);
    expect(Number(body.error['resets_in_seconds'])).toBeGreaterThan(3 * 3600 - 60);
    expect(response.headers.get('x-codex-primary-used-percent')).toBe('100.00');
    expect(response.headers.get('x-codex-primary-window-minutes')).toBe('300');
  });
});

describe('refusals about one model', () => {
  it('an Opus-exhausted account keeps serving Sonnet; Opus requests go elsewhere', async () => {
    const h = (harness = await startHarness({
      accounts: [{ id: 'a', opusWeeklyUtilization: 100 }, { id: 'b' }],
      // Fallback: always the first usable account in list order, so `a` is everyone's first choice.
      claude: (credentials) => ({
        credentials: [...credentials, { tag: 'pool', type: 'balancer', strategy: 'fallback', credentials: ['a', 'b'] }],
        route: 'pool',
      }),
    }));
    const opus = { ...MESSAGE, model: 'claude-opus-4-5' };
    const first = await messagesDuring(h, async () => expect((await postClaude(h, opus)).status).toBe(200));
    expect(first).toEqual({ a: 1, b: 1 });
    const later = await messagesDuring(h, async () => {
      for (let index = 0; index < 3; index += 1) expect((await postClaude(h, opus)).status).toBe(200);
    });
    expect(later).toEqual({ a: 0, b: 3 });
    const sonnet = await messagesDuring(h, async () => {
      for (let index = 0; index < 2; index += 1) expect((await postClaude(h, { ...MESSAGE, model: 'claude-sonnet-4-5' })).status).toBe(200);
    });
    expect(sonnet).toEqual({ a: 2, b: 0 });
    expect(h.node.pools.claude?.allSnapshots(Date.now()).find((snapshot) => snapshot.tag === 'a')?.state).toBe('usable');
    expect(h.node.pools.claude?.reasons(Date.now()).get('a')).toContain('opus until');

    // Status shows the model-scoped window: users see how much weight still serves Opus, the
    // admin also sees which account refuses it and until when.
    const statusOf = async (token: string): Promise<Record<string, unknown>> => {
      const response = await fetch(`${h.node.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
      return ((await response.json()) as { providers: { claude: Record<string, unknown> } }).providers.claude;
    };
    const nowSeconds = Date.now() / 1000;
    const user = await statusOf(h.userToken);
    expect(user.state).toBe('usable');
    expect(user.model_limits).toEqual([
      {
        family: 'opus',
        state: 'usable',
        blocked_plan_weight: expect.any(Number),
        available_plan_weight: expect.any(Number),
        retry_at: expect.any(Number),
      },
    ]);
    const [opusLimit] = user.model_limits as { blocked_plan_weight: number; available_plan_weight: number; retry_at: number }[];
    expect(opusLimit?.blocked_plan_weight).toBeGreaterThan(0);
    expect(opusLimit?.available_plan_weight).toBeGreaterThan(0);
    expect(opusLimit?.retry_at).toBeGreaterThan(nowSeconds);
    const admin = await statusOf(h.adminToken);
    const rows = admin.credentials as { tag: string; model_limits?: { family: string; until: number }[] }[];
    expect(rows.find((row) => row.tag === 'a')?.model_limits).toEqual([{ family: 'opus', until: opusLimit?.retry_at }]);
    expect(rows.find((row) => row.tag === 'b')?.model_limits).toBeUndefined();
  });

  it('when every account refuses the model, the vendor refusal is relayed and the accounts stay usable', async () => {
    const h = (harness = await startHarness({
      accounts: [
        { id: 'a', opusWeeklyUtilization: 100 },
        { id: 'b', opusWeeklyUtilization: 100 },
      ],
    }));
    const opus = { ...MESSAGE, model: 'claude-opus-4-5' };
    for (let index = 0; index < 2; index += 1) {
      const response = await postClaude(h, opus);
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    }
    everyCredentialUsableState(h);
    expect((await postClaude(h)).status).toBe(200);
    const status = (await (await fetch(`${h.node.url}/v1/status`, { headers: { authorization: `Bearer ${h.userToken}` } })).json()) as {
      providers: { claude: { state: string; model_limits: { family: string; state: string; available_plan_weight: number }[] } };
    };
    expect(status.providers.claude.state).toBe('usable');
    expect(status.providers.claude.model_limits).toMatchObject([{ family: 'opus', state: 'rate_limited', available_plan_weight: 0 }]);
  });
});

function everyCredentialUsableState(h: Harness): void {
  expect(h.node.pools.claude?.allSnapshots(Date.now()).every((snapshot) => snapshot.state === 'usable')).toBe(true);
}

describe('a Codex extra limit family', () => {
  it('an account whose Spark family is spent keeps serving other models; Spark requests go elsewhere', async () => {
    const h = (harness = await startHarness({
      codexAccounts: [
        {
          id: 'cx-a',
          plan: 'pro',
          extraLimit: { family: 'codex-bengalfox', limitName: 'GPT-5.3-Codex-Spark', modelPrefix: 'gpt-5.3-codex-spark', usedPercent: 100 },
        },
        { id: 'cx-b', plan: 'pro' },
      ],
    }));
    const send = (model: string): Promise<Response> =>
      fetch(`${h.node.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.userToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, input: [{ role: 'user', content: 'hi' }], stream: true }),
      });
    const responsesOf = (id: string): number => h.sim.codexAccount(id).counters.responses;
    for (let index = 0; index < 4; index += 1) {
      const response = await send('gpt-5.3-codex-spark');
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    // cx-a refused Spark at most once: after that the node knows, and sends Spark to cx-b.
    expect(responsesOf('cx-a')).toBeLessThanOrEqual(1);
    const sparkOnA = responsesOf('cx-a');
    let otherOnA = false;
    for (let index = 0; index < 8 && !otherOnA; index += 1) {
      const response = await send('gpt-5-codex');
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      otherOnA = responsesOf('cx-a') > sparkOnA;
    }
    expect(otherOnA).toBe(true);
    expect(h.node.pools.codex?.allSnapshots(Date.now()).find((snapshot) => snapshot.tag === 'cx-a')?.state).toBe('usable');
    expect(h.node.pools.codex?.reasons(Date.now()).get('cx-a')).toContain('gpt-5.3-codex-spark until');
  });
});
