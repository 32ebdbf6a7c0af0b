import { describe, expect, it } from 'vitest';
import { createCodexAccount } from '../../../src/sim/codex/accounts.ts';
import { buildResponse, overloadedEvents, parseResponsesRequest, responseEvents } from '../../../src/sim/codex/response-body.ts';
import { parseScriptEntry } from '../../../src/sim/faults.ts';

const account = createCodexAccount({ id: 'c' }, 0, 0, 1000);

function request(body: Record<string, unknown>) {
  const parsed = parseResponsesRequest(JSON.stringify(body));
  if ('error' in parsed) throw new Error(parsed.error.message);
  return parsed;
}

describe('parseResponsesRequest', () => {
  it.each([
    ['a string input', { model: 'm', input: 'hi' }, 'hi'],
    [
      'the last user message',
      {
        model: 'm',
        input: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: [{ type: 'input_text', text: 'c' }] },
        ],
      },
      'c',
    ],
  ])('reads %s', (_name, body, said) => {
    expect(request(body).lastUserText).toBe(said);
  });

  it.each([
    ['[]', 'could not parse'],
    ['{"input":"x"}', "Missing required parameter: 'model'."],
    ['{"model":"m","input":3}', "Invalid type for 'input'"],
  ])('rejects %s', (text, message) => {
    const parsed = parseResponsesRequest(text);
    expect('error' in parsed && parsed.error.message).toContain(message);
  });
});

describe('responseEvents', () => {
  it('numbers events in order and ends with the completed response', () => {
    const response = buildResponse(request({ model: 'm', input: 'hello' }), account, 0);
    const events = responseEvents(response);
    expect(events.map((event) => (event.data as { sequence_number: number }).sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.every((event) => event.event === (event.data as { type: string }).type)).toBe(true);
    expect(events.at(-1)?.data).toMatchObject({ type: 'response.completed', response: { id: response['id'], status: 'completed' } });
  });

  it('a warm-up has no output and no usage', () => {
    const response = buildResponse(request({ model: 'm', input: [], generate: false }), account, 0);
    expect(response).toMatchObject({ output: [], usage: { total_tokens: 0 } });
    expect(responseEvents(response).map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.completed',
    ]);
  });

  it('an overloaded stream keeps K events then fails', () => {
    const response = buildResponse(request({ model: 'm', input: 'x' }), account, 0);
    const events = overloadedEvents(responseEvents(response), 2, response);
    expect(events.map((event) => event.event)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events[2]?.data).toMatchObject({ response: { status: 'failed', error: { code: 'server_is_overloaded' } }, sequence_number: 2 });
  });
});

describe('Codex script entries', () => {
  it.each([
    [{ endpoint: 'codex_handshake', fault: { type: 'rate_limit' } }],
    [{ endpoint: 'codex_responses', fault: { type: 'stream_overloaded', afterEvents: 1 } }],
    [{ endpoint: 'codex_token', fault: { type: 'omit_refresh_token' } }],
  ])('accepts %j', (entry) => {
    expect(parseScriptEntry(entry).endpoint).toBe(entry.endpoint);
  });

  it.each([[{ endpoint: 'codex_handshake', fault: { type: 'stall' } }], [{ endpoint: 'messages', fault: { type: 'stream_overloaded' } }]])(
    'rejects %j',
    (entry) => {
      expect(() => parseScriptEntry(entry)).toThrow(/fault.type/);
    },
  );
});
