import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type HarnessOptions } from '../../helpers/node-harness.ts';
import { startAlertReceiver, type AlertReceiverServer } from '../../helpers/alert-receiver.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const SECRET = 'alert-secret-0123456789-abcdefgh';
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

let harness: Harness | undefined;
let receiver: AlertReceiverServer | undefined;
afterEach(async () => {
  await harness?.close();
  await receiver?.close();
  harness = undefined;
  receiver = undefined;
});

function send(node: Harness, options: { signal?: AbortSignal; stream?: boolean } = {}): Promise<Response> {
  return fetch(`${node.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...MESSAGE, stream: options.stream === true }),
    signal: options.signal,
  });
}

async function alertMetric(node: Harness, result: string): Promise<number> {
  const response = await fetch(`${node.node.url}/metrics`, { headers: { authorization: `Bearer ${node.adminToken}` } });
  const line = (await response.text()).split('\n').find((row) => row.startsWith(`quotamesh_alerts_total{alert="0",result="${result}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** Accounts a and b, b without its credential file (unavailable from the start), alice on a, one alert receiver. */
function startWithoutB(alert: Record<string, unknown>, nodeOptions: HarnessOptions['nodeOptions'] = {}): Promise<Harness> {
  return startHarness({
    accounts: [
      { id: 'a', plan: 'max20x' },
      { id: 'b', plan: 'pro' },
    ],
    withoutFiles: ['b'],
    config: {
      users: [{ name: 'alice', token: 'user-token-0123456789-abcdefghij', claude: 'a' }],
      alerts: [alert],
    },
    nodeOptions,
  });
}

describe('alerts from a running node', () => {
  it('posts credential events in order, one per episode, each signed with the secret', async () => {
    receiver = await startAlertReceiver();
    harness = await startWithoutB({ url: receiver.url, secret: SECRET });
    const events = receiver.events;
    // b has no credential file: unavailable from the start; its file appearing brings it back.
    await waitFor(() => events().includes('credential_unavailable'), 'credential_unavailable for b');
    await harness.writeCredential('b');
    await waitFor(() => events().includes('credential_recovered'), 'credential_recovered for b');

    // a answers one 429 that asks for a second's rest: rate-limited, then usable again by the clock.
    harness.sim.script({ account: 'a', fault: { type: 'rate_limit_bare', retryAfterSeconds: 1 } });
    const limited = await send(harness);
    expect(limited.status).toBe(429);
    await limited.arrayBuffer();
    await waitFor(() => events().filter((name) => name === 'credential_recovered').length === 2, 'credential_recovered for a');
    const ok = await send(harness);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();

    expect(receiver.received.map((alert) => [alert.body.event, alert.body.credential])).toEqual([
      ['credential_unavailable', 'b'],
      ['credential_recovered', 'b'],
      ['credential_rate_limited', 'a'],
      ['credential_recovered', 'a'],
    ]);
    for (const alert of receiver.received) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(alert.rawBody).digest('hex')}`;
      expect(alert.headers['x-quotamesh-signature']).toBe(expected);
      expect(alert.headers['content-type']).toBe('application/json');
      expect(alert.body).toMatchObject({ node: 'test-node', provider: 'claude' });
      expect(Date.parse(String(alert.body.time))).toBeGreaterThan(0);
      expect(alert.body.text).toBe(alert.body.content);
      expect(String(alert.body.text)).toMatch(/^quotamesh test-node: claude credential [ab] /);
      expect(typeof alert.body.detail).toBe('string');
    }
    expect(String(receiver.received[0]?.body.detail)).toMatch(/credential file|missing|no such|ENOENT|not found/i);
    expect(String(receiver.received[2]?.body.detail)).toMatch(/^until 20\d\d-/);
  });

  it('posts credential_unavailable when the vendor revokes an account', async () => {
    receiver = await startAlertReceiver();
    harness = await startHarness({ config: { alerts: [{ url: receiver.url, events: ['credential_unavailable'] }] } });
    harness.sim.revokeToken('a');
    const response = await send(harness);
    expect(response.status).toBeGreaterThanOrEqual(400);
    await response.arrayBuffer();
    await waitFor(() => receiver?.received.length === 1, 'credential_unavailable');
    expect(receiver.received[0]?.body).toMatchObject({ event: 'credential_unavailable', credential: 'a', provider: 'claude' });
    expect(String(receiver.received[0]?.body.detail)).not.toBe('no reason given');
  });

  it('tells about a user at the request budget once, not once per refused request', async () => {
    receiver = await startAlertReceiver();
    harness = await startHarness({
      config: {
        request_budget: { per_caller_concurrent: 1 },
        alerts: [{ url: receiver.url, events: ['limit_reached'] }],
      },
    });
    // The first request holds alice's only slot: its answer stalls after the first event.
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const holder = new AbortController();
    const first = await send(harness, { signal: holder.signal, stream: true });
    expect(first.status).toBe(200);
    await first.body?.getReader().read();
    for (let refused = 0; refused < 3; refused += 1) {
      const response = await send(harness);
      expect(response.status).toBe(429);
      await response.arrayBuffer();
    }
    holder.abort();
    await waitFor(() => receiver?.received.length === 1, 'limit_reached');
    expect(receiver.received[0]?.body).toMatchObject({
      event: 'limit_reached',
      user: 'alice',
      provider: 'claude',
      detail: expect.stringMatching(/^request_budget\.per_caller_concurrent: /),
    });
    expect(receiver.received[0]?.headers['x-quotamesh-signature']).toBeUndefined();
  });

  it('gives up after the bounded retries when the receiver is down, and keeps serving', async () => {
    receiver = await startAlertReceiver();
    receiver.answer(503);
    harness = await startWithoutB(
      { url: receiver.url, events: ['credential_unavailable'] },
      { alertDelivery: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } },
    );
    await waitFor(async () => (await alertMetric(harness!, 'failed')) === 1, 'the alert to be given up');
    expect(receiver.received.map((alert) => alert.body.event)).toEqual([
      'credential_unavailable',
      'credential_unavailable',
      'credential_unavailable',
    ]);
    // The same body each time: a retry is the same event, signed the same way.
    expect(new Set(receiver.received.map((alert) => alert.rawBody)).size).toBe(1);
    const response = await send(harness);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(await alertMetric(harness, 'sent')).toBe(0);
    expect(receiver.received).toHaveLength(3);
  });
});
