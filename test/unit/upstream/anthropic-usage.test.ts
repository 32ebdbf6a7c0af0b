import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claudeUsageTap } from '../../../src/providers/index.ts';

const SSE = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":25,"cache_creation_input_tokens":3,"cache_read_input_tokens":7,"output_tokens":1}}}\n\n',
  'event: ping\ndata: {"type":"ping"}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"usage \\"quoted\\""}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
].join('');

const EXPECTED = { input_tokens: 25, output_tokens: 42, cache_creation_input_tokens: 3, cache_read_input_tokens: 7 };

function splitAt(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    parts.push(bytes.subarray(start, point));
    start = point;
  }
  parts.push(bytes.subarray(start));
  return parts;
}

describe('claudeUsageTap', () => {
  it('reads SSE usage however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
        const tap = claudeUsageTap('text/event-stream; charset=utf-8');
        for (const part of splitAt(SSE, cuts)) tap.push(part);
        expect(tap.finish()).toEqual(EXPECTED);
      }),
    );
  });

  it('keeps the 1-hour part of the cache writes when the usage breaks them down', () => {
    const tap = claudeUsageTap('text/event-stream');
    tap.push(
      Buffer.from(
        'data: {"type":"message_start","message":{"usage":{"input_tokens":3,"cache_creation_input_tokens":500,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300},"cache_read_input_tokens":0,"output_tokens":1}}}\n\n' +
          'data: {"type":"message_delta","usage":{"output_tokens":8}}\n\n',
      ),
    );
    expect(tap.finish()).toEqual({
      input_tokens: 3,
      output_tokens: 8,
      cache_creation_input_tokens: 500,
      cache_read_input_tokens: 0,
      cache_creation_1h_input_tokens: 300,
    });
  });

  it('reads a JSON body', () => {
    const tap = claudeUsageTap('application/json');
    tap.push(Buffer.from('{"id":"msg","usage":{"input_tokens":5,'));
    tap.push(Buffer.from('"output_tokens":9}}'));
    expect(tap.finish()).toEqual({ input_tokens: 5, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it.each([['{not json'], [''], ['{"usage":"lots"}'], ['{"usage":{"input_tokens":-1,"output_tokens":"x"}}']])(
    'never throws on %j',
    (body) => {
      const tap = claudeUsageTap('application/json');
      tap.push(Buffer.from(body));
      expect(() => tap.finish()).not.toThrow();
    },
  );

  it('gives up on a response whose SSE line passes 4 MiB, instead of holding it', () => {
    const tap = claudeUsageTap('text/event-stream');
    tap.push(Buffer.from('data: {"usage":'));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent <= 4 * 1024 * 1024; sent += chunk.length) tap.push(chunk);
    tap.push(Buffer.from('{"input_tokens":5}}\n\n'));
    expect(tap.finish()).toBeUndefined();
  });
});
