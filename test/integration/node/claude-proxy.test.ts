import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello' }] };

function client(harness: Harness, token = harness.userToken): Anthropic {
  return new Anthropic({ baseURL: harness.node.url, apiKey: null, authToken: token, maxRetries: 0 });
}

describe('Claude proxy through a node', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers a non-streaming message with the aggregate rate-limit headers', async () => {
    harness = await startHarness();
    const { data, response } = await client(harness).messages.create(MESSAGE).withResponse();
    expect(data.content[0]?.type).toBe('text');
    expect(response.headers.get('anthropic-ratelimit-unified-status')).toBe('allowed');
    expect(Number(response.headers.get('anthropic-ratelimit-unified-5h-utilization'))).toBeGreaterThan(0);
    expect(response.headers.get('x-quotamesh-plan-weight')).toBe('10');
    // The vendor's organization header passes through: Claude Code reads it.
    expect(response.headers.get('anthropic-organization-id')).toBe(harness.sim.account('a').organizationUuid);
    // The vendor's front end sets a Cloudflare cookie on our connection; it is not the client's.
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('streams SSE events to the client while the upstream is still sending', async () => {
    harness = await startHarness();
    // The simulator sends four events (the SDK hides `ping`) and then holds the stream open: if the node buffered
    // anything, the client would see nothing until the upstream finished, which it never does.
    harness.sim.script({ fault: { type: 'stall', afterEvents: 4 } });
    const abort = new AbortController();
    const stream = await client(harness).messages.create({ ...MESSAGE, stream: true }, { signal: abort.signal });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    abort.abort();
  });

  it('delivers a full stream with the SDK helper', async () => {
    harness = await startHarness();
    const stream = client(harness).messages.stream(MESSAGE);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe('end_turn');
    // Several deltas that add up to the answer the same account gives without streaming:
    // nothing lost, repeated or reordered on the way through the node.
    expect(deltas.length).toBeGreaterThan(2);
    const plain = await client(harness).messages.create(MESSAGE);
    expect(plain.content[0]?.type === 'text' && plain.content[0].text).toBe(deltas.join(''));
  });

  it('aborts the upstream request when the client goes away', async () => {
    harness = await startHarness();
    harness.sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const abort = new AbortController();
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...MESSAGE, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await waitFor(() => harness!.sim.state().openStreams === 0, 'the simulator to see the stream end');
  });

  it('rejects an unknown token with 401 in Anthropic shape and forwards nothing', async () => {
    harness = await startHarness();
    const error = await client(harness, 'not-a-known-token-at-all-000000')
      .messages.create(MESSAGE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
    expect(harness.sim.received.filter((request) => request.path.startsWith('/v1/'))).toHaveLength(0);
  });

  it('rejects malformed JSON with 400 and nothing reaches the simulator', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': harness.userToken, 'content-type': 'application/json' },
      body: '{"model": "claude", "messages": [',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(harness.sim.received.filter((request) => request.path.startsWith('/v1/'))).toHaveLength(0);
  });

  it('never forwards the user token, proxy headers or client auth upstream', async () => {
    harness = await startHarness();
    await fetch(`${harness.node.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: {
        'x-api-key': harness.userToken,
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.9',
        'cf-connecting-ip': '203.0.113.9',
        'x-real-ip': '203.0.113.9',
        'anthropic-beta': 'claude-code-20250219',
        'x-quotamesh-via': 'some-other-node',
      },
      body: JSON.stringify(MESSAGE),
    });
    await client(harness).messages.create(MESSAGE);
    const forwarded = harness.sim.received.filter((request) => request.path.startsWith('/v1/messages'));
    expect(forwarded).toHaveLength(2);
    for (const request of forwarded) {
      expect(JSON.stringify(request.headers)).not.toContain(harness.userToken);
      expect(request.headers['x-forwarded-for']).toBeUndefined();
      expect(request.headers['cf-connecting-ip']).toBeUndefined();
      expect(request.headers['x-real-ip']).toBeUndefined();
      expect(request.headers['x-api-key']).toBeUndefined();
      expect(request.headers['x-quotamesh-via']).toBeUndefined();
      expect(request.headers.authorization).toBe(`Bearer ${harness.sim.account('a').accessToken}`);
    }
    // A real OAuth Claude Code's betas, in its order, merged with the client's without duplicates.
    expect(forwarded[0]?.headers['anthropic-beta']).toBe('claude-code-20250219,oauth-2025-04-20,extended-cache-ttl-2025-04-11');
    expect(forwarded[1]?.headers['anthropic-beta']).toBe('claude-code-20250219,oauth-2025-04-20,extended-cache-ttl-2025-04-11');
    expect(forwarded[0]?.path).toBe('/v1/messages?beta=true');
    expect(harness.logs.join('')).not.toContain(harness.userToken);
    expect(harness.logs.join('')).not.toContain(harness.sim.account('a').accessToken);
  });

  it('passes an upstream 400 through in Anthropic shape', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('answers count_tokens and 404s outside the API', async () => {
    harness = await startHarness();
    const count = await client(harness).messages.countTokens(MESSAGE);
    expect(count.input_tokens).toBeGreaterThan(0);
    const missing = await fetch(`${harness.node.url}/nope`, { headers: { authorization: `Bearer ${harness.userToken}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const health = await fetch(`${harness.node.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
  });

  it('uses a credential file created after the node started', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const before = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(MESSAGE),
    });
    expect(before.status).toBe(503);
    expect(JSON.stringify(await before.json())).toContain('unavailable');
    await harness.writeCredential('a');
    const h = harness;
    const message = await waitFor(
      () =>
        client(h)
          .messages.create(MESSAGE)
          .catch(() => undefined),
      'a message once the credential file exists',
    );
    expect(message?.content[0]?.type).toBe('text');
  });

  it('rejects a body over 32 MiB with 413', async () => {
    harness = await startHarness();
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: Buffer.alloc(33 * 1024 * 1024, 0x20),
    }).catch((error: unknown) => error);
    // Either the 413 arrives, or the node closes the socket while we are still sending.
    if (response instanceof Response) {
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    }
    expect(harness.sim.received.filter((request) => request.path.startsWith('/v1/'))).toHaveLength(0);
  });
});
