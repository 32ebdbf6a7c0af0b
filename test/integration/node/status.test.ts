import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] };

async function getJson(harness: Harness, path: string, token: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${harness.node.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

async function sendMessage(harness: Harness): Promise<void> {
  const response = await fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(MESSAGE),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe('/v1/status', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('needs a token', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.node.url}/v1/status`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('reports the weighted pool after traffic, per-credential rows only for the admin', async () => {
    harness = await startHarness({
      accounts: [
        { id: 'big', plan: 'max20x', fiveHourUtilization: 10, weeklyUtilization: 20 },
        { id: 'small', plan: 'pro', fiveHourUtilization: 50, weeklyUtilization: 60 },
      ],
      claude: (credentials) => ({
        route: 'pool',
        credentials: [...credentials, { tag: 'pool', type: 'balancer', strategy: 'round-robin', credentials: ['big', 'small'] }],
      }),
    });
    await waitFor(async () => {
      await sendMessage(harness!);
      const { body } = await getJson(harness!, '/v1/status', harness!.userToken);
      return body.providers.claude.plan_weight === 11;
    }, 'the pool to reach plan weight 11');
    const user = await getJson(harness, '/v1/status', harness.userToken);
    expect(user.status).toBe(200);
    expect(user.body.node).toBe('test-node');
    const claude = user.body.providers.claude;
    expect(claude.credentials).toBeUndefined();
    expect(claude.state).toBe('usable');
    // 100 − (10·(99 − ~20) + 1·(99 − ~60)) / 11, with a little growth from the requests.
    expect(claude.weekly_utilization).toBeGreaterThan(24);
    expect(claude.weekly_utilization).toBeLessThan(26);
    const admin = await getJson(harness, '/v1/status', harness.adminToken);
    expect(admin.body.providers.claude.credentials.map((row: { tag: string }) => row.tag).sort()).toEqual(['big', 'small']);
  });

  it('answers ?provider=claude and /ccm/v1/status with exactly the seven public keys', async () => {
    harness = await startHarness();
    for (const path of ['/v1/status?provider=claude', '/ccm/v1/status']) {
      for (const token of [harness.userToken, harness.adminToken]) {
        const { body } = await getJson(harness, path, token);
        expect(Object.keys(body)).toEqual([
          'five_hour_utilization',
          'five_hour_reset',
          'weekly_utilization',
          'weekly_reset',
          'plan_weight',
          'state',
          'retry_at',
        ]);
      }
    }
    const bad = await fetch(`${harness.node.url}/v1/status?provider=gemini`, { headers: { authorization: `Bearer ${harness.userToken}` } });
    expect(bad.status).toBe(400);
  });

  it('streams NDJSON frames: one at once, another when utilization changes', async () => {
    harness = await startHarness();
    const abort = new AbortController();
    const response = await fetch(`${harness.node.url}/v1/status?provider=claude&watch=true`, {
      headers: { authorization: `Bearer ${harness.userToken}` },
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextFrame = async (): Promise<any> => {
      while (!text.includes('\n')) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        text += decoder.decode(chunk.value, { stream: true });
      }
      const line = text.slice(0, text.indexOf('\n'));
      text = text.slice(text.indexOf('\n') + 1);
      return JSON.parse(line);
    };
    const first = await nextFrame();
    expect(Object.keys(first)).toHaveLength(7);
    await sendMessage(harness);
    // A background usage poll may also produce a frame; the request's headers must show up.
    let next = await nextFrame();
    while (next.five_hour_utilization === first.five_hour_utilization) next = await nextFrame();
    expect(next.plan_weight).toBe(10);
    expect(next.five_hour_utilization).toBeGreaterThan(0);
    abort.abort();
  });
});
