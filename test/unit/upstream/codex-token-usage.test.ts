import { describe, expect, it } from 'vitest';
import { codexUsageTap } from '../../../src/providers/index.ts';

const COMPLETED = {
  type: 'response.completed',
  response: {
    id: 'resp_1',
    status: 'completed',
    usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 7, total_tokens: 127 },
  },
};

describe('codexUsageTap', () => {
  it('reads response.completed from an SSE stream split anywhere', () => {
    const text = `event: response.created\ndata: {"type":"response.created"}\n\nevent: response.completed\ndata: ${JSON.stringify(COMPLETED)}\n\n`;
    for (let cut = 0; cut <= text.length; cut += 7) {
      const tap = codexUsageTap('text/event-stream');
      tap.push(Buffer.from(text.slice(0, cut)));
      tap.push(Buffer.from(text.slice(cut)));
      expect(tap.finish()).toEqual({ input_tokens: 20, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 100 });
    }
  });

  it('reads a JSON Response object', () => {
    const tap = codexUsageTap('application/json');
    tap.push(Buffer.from(JSON.stringify(COMPLETED.response)));
    expect(tap.finish()?.output_tokens).toBe(7);
  });

  it.each(['', '{', '{"usage":null}', 'data: {"usage":1}'])('never throws on %j', (body) => {
    const tap = codexUsageTap('text/event-stream');
    tap.push(Buffer.from(body));
    expect(() => tap.finish()).not.toThrow();
  });
});
