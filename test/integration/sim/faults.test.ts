import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimFault, type Simulator } from '../../../src/sim/index.ts';
import { MODEL, UNIFIED, messageBody, oauthHeaders, postMessages, readEvents, sdkFor, unifiedHeaderNames } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function firstToken(): Promise<string> {
  sim = await startSimulator({ accounts: [{ id: 'a' }, { id: 'b' }], chunkDelayMs: 1 });
  return sim.account('a').accessToken;
}

describe('scripted faults on /v1/messages', () => {
  it('429 with unified headers reports the window rejected', async () => {
    const token = await firstToken();
    sim?.script({ fault: { type: 'rate_limit', window: 'seven_day', retryAfterSeconds: 42 } });
    const response = await postMessages(sim as Simulator, token);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('42');
    expect(response.headers.get(`${UNIFIED}-status`)).toBe('rejected');
    expect(response.headers.get(`${UNIFIED}-representative-claim`)).toBe('seven_day');
    expect(response.headers.get(`${UNIFIED}-7d-status`)).toBe('rejected');
    expect(await response.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect((await postMessages(sim as Simulator, token)).status).toBe(200);
  });

  it('429 without unified headers carries only what was asked for', async () => {
    const token = await firstToken();
    sim?.script([{ fault: { type: 'rate_limit_bare' } }, { fault: { type: 'rate_limit_bare', retryAfterSeconds: 7 } }]);
    const bare = await postMessages(sim as Simulator, token);
    expect(bare.status).toBe(429);
    expect(unifiedHeaderNames(bare.headers)).toEqual([]);
    expect(bare.headers.get('retry-after')).toBeNull();
    const withRetry = await postMessages(sim as Simulator, token);
    expect(unifiedHeaderNames(withRetry.headers)).toEqual([]);
    expect(withRetry.headers.get('retry-after')).toBe('7');
  });

  it.each<[string, SimFault, number, string, RegExp]>([
    [
      '401 expired',
      { type: 'unauthorized' },
      401,
      'authentication_error',
      /^OAuth token has expired\. Please obtain a new token or refresh your existing token\.$/,
    ],
    ['401 revoked', { type: 'unauthorized', reason: 'revoked' }, 401, 'authentication_error', /revoked/],
    ['403 revoked', { type: 'revoked' }, 403, 'permission_error', /OAuth token has been revoked/],
    ['529 overloaded', { type: 'overloaded' }, 529, 'overloaded_error', /Overloaded/],
    ['500', { type: 'server_error' }, 500, 'api_error', /Internal/],
    ['502', { type: 'server_error', status: 502 }, 502, 'api_error', /Internal/],
    ['503', { type: 'server_error', status: 503 }, 503, 'api_error', /Internal/],
  ])('%s in Anthropic error shape', async (_name, fault, status, kind, message) => {
    const token = await firstToken();
    sim?.script({ fault });
    const response = await postMessages(sim as Simulator, token);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe(kind);
    expect(body.error.message).toMatch(message);
  });

  it('a fault for one account leaves the other alone', async () => {
    await firstToken();
    sim?.script({ account: 'b', fault: { type: 'overloaded' } });
    expect((await postMessages(sim as Simulator, sim?.account('a').accessToken ?? '')).status).toBe(200);
    expect((await postMessages(sim as Simulator, sim?.account('b').accessToken ?? '')).status).toBe(529);
  });

  it('times repeats a fault, then normal service resumes', async () => {
    const token = await firstToken();
    sim?.script({ times: 2, fault: { type: 'server_error', status: 503 } });
    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await postMessages(sim as Simulator, token)).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('a slow response still answers normally', async () => {
    const token = await firstToken();
    sim?.script({ fault: { type: 'slow', delayMs: 30 } });
    expect((await postMessages(sim as Simulator, token)).status).toBe(200);
    expect(sim?.state().pendingFaults).toEqual([]);
  });

  it('a stalled stream sends K events and never finishes', async () => {
    const token = await firstToken();
    sim?.script({ fault: { type: 'stall', afterEvents: 3 } });
    const response = await postMessages(sim as Simulator, token, messageBody({ stream: true }));
    const { names, reader } = await readEvents(response, { until: (seen) => seen.length >= 3 });
    expect(names).toEqual(['message_start', 'content_block_start', 'ping']);
    // Only closing the simulator ends it, and then not with message_stop.
    await sim?.close();
    await expect(drain(reader)).rejects.toThrow();
  });

  it('a stalled JSON response sends headers and no body', async () => {
    const token = await firstToken();
    sim?.script({ fault: { type: 'stall' } });
    const response = await postMessages(sim as Simulator, token);
    expect(response.status).toBe(200);
    const body = response.text();
    await sim?.close();
    await expect(body).rejects.toThrow();
  });

  it('a cut stream breaks the SDK mid-way', async () => {
    await firstToken();
    sim?.script({ fault: { type: 'cut', afterEvents: 4 } });
    const stream = sdkFor(sim as Simulator, sim?.account('a') ?? fail()).messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'x' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.AnthropicError);
    expect(types).not.toContain('message_stop');
  });

  it('a cut stream reaches a raw reader as an error after K events', async () => {
    const token = await firstToken();
    sim?.script({ fault: { type: 'cut', afterEvents: 2 } });
    const response = await postMessages(sim as Simulator, token, messageBody({ stream: true }));
    await expect(readEvents(response)).rejects.toThrow();
  });
});

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  if (!text.includes('message_stop')) throw new Error('stream ended without message_stop');
}

function fail(): never {
  throw new Error('simulator not started');
}

describe('openStreams', () => {
  it('counts a stalled stream until its client leaves', async () => {
    sim = await startSimulator({ chunkDelayMs: 1 });
    sim.script({ fault: { type: 'stall', afterEvents: 1 } });
    const abort = new AbortController();
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: oauthHeaders(sim.accounts[0]?.accessToken ?? ''),
      body: messageBody({ stream: true }),
      signal: abort.signal,
    });
    await response.body?.getReader().read();
    expect(sim.state().openStreams).toBe(1);
    abort.abort();
    await waitFor(() => sim?.state().openStreams === 0, 'the simulator to see the stream end');
  });
});
