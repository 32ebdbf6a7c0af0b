import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerLines, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('usage ledger', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('has one valid JSON line per request, with token counts for JSON and SSE responses', async () => {
    harness = await startHarness();
    const client = new Anthropic({ baseURL: harness.node.url, apiKey: null, authToken: harness.userToken, maxRetries: 0 });
    await client.messages.create(MESSAGE);
    await client.messages.stream(MESSAGE).finalMessage();
    const invalid = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MESSAGE.model, messages: MESSAGE.messages }),
    });
    expect(invalid.status).toBe(400);
    await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer nobody-0123456789abcdef' },
      body: '{}',
    });
    const h = harness;
    const lines = await waitFor(() => {
      const current = ledgerLines(h);
      return current.length === 3 ? current : undefined;
    }, 'three ledger lines');
    const keys = [
      'time',
      'user',
      'peer',
      'provider',
      'credential',
      'model',
      'input_tokens',
      'output_tokens',
      'cache_creation_input_tokens',
      'cache_read_input_tokens',
      'status',
      'duration_ms',
      'points_5h',
      'points_weekly',
    ];
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(keys);
      expect(line).toMatchObject({ user: 'alice', peer: null, provider: 'claude', credential: 'a', model: 'claude-sonnet-4-5' });
    }
    expect(lines.map((line) => line.status)).toEqual([200, 200, 400]);
    expect(lines[0]?.output_tokens).toBeGreaterThan(0);
    expect(lines[0]?.input_tokens).toBeGreaterThan(0);
    expect(lines[1]?.output_tokens).toBeGreaterThan(1);
    expect(lines[1]?.input_tokens).toBeGreaterThan(0);
  });
});
