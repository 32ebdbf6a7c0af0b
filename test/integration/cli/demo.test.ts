import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/commands/demo.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('quotamesh demo (npm start)', () => {
  it('prints the hub URL and token, reports the laptop linking, and answers through the hub', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const running = runDemo({ port: 0, print: (line) => lines.push(line), signal: stop.signal });
    try {
      const linked = await waitFor(
        () => lines.find((line) => line.includes('laptop linked to the hub')),
        'the demo to link the laptop to the hub',
      );
      expect(linked).toContain('●');
      const baseURL = lines.find((line) => line.includes('ANTHROPIC_BASE_URL='))?.split('=')[1];
      const authToken = lines.find((line) => line.includes('ANTHROPIC_AUTH_TOKEN='))?.split('=')[1];
      expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new Anthropic({ baseURL, authToken, apiKey: null, maxRetries: 0 });
      const message = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 32,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(message.content[0]?.type).toBe('text');
    } finally {
      stop.abort();
      expect(await running).toBe(0);
    }
  });
});
