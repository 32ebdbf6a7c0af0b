import { describe, expect, it } from 'vitest';
import { createAccount } from '../../../src/sim/claude/accounts.ts';
import { buildMessage, parseMessagesRequest, type MessagesRequest } from '../../../src/sim/claude/reply.ts';
import { textChunks } from '../../../src/sim/text.ts';
import { messageEvents } from '../../../src/sim/claude/message-events.ts';
import { encodeEvent } from '../../../src/sim/sse.ts';

const account = createAccount({ id: 'alice', plan: 'pro' }, 0, 0, 1000);
const valid = { model: 'claude-sonnet-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };

function parsed(body: unknown): MessagesRequest {
  const result = parseMessagesRequest(JSON.stringify(body), { requireMaxTokens: true });
  if ('error' in result) throw new Error(result.error);
  return result;
}

describe('parseMessagesRequest', () => {
  it.each([
    ['malformed JSON', '{"model":', /valid JSON/],
    ['an array', '[]', /dictionary/],
    ['missing model', JSON.stringify({ ...valid, model: undefined }), /^model: Field required$/],
    ['missing messages', JSON.stringify({ ...valid, messages: undefined }), /^messages: Field required$/],
    ['messages not a list', JSON.stringify({ ...valid, messages: 'hi' }), /messages: Input should be a valid list/],
    ['missing max_tokens', JSON.stringify({ ...valid, max_tokens: undefined }), /^max_tokens: Field required$/],
    ['fractional max_tokens', JSON.stringify({ ...valid, max_tokens: 1.5 }), /valid integer/],
    ['zero max_tokens', JSON.stringify({ ...valid, max_tokens: 0 }), /greater than or equal to 1/],
  ])('rejects %s', (_name, text, message) => {
    const result = parseMessagesRequest(text, { requireMaxTokens: true });
    expect('error' in result && result.error).toMatch(message);
  });

  it('count_tokens does not need max_tokens', () => {
    const result = parseMessagesRequest(JSON.stringify({ ...valid, max_tokens: undefined }), { requireMaxTokens: false });
    expect('error' in result).toBe(false);
  });

  it('finds the last user text in block content', () => {
    const request = parsed({
      ...valid,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'image' }] },
      ],
    });
    expect(request.lastUserText).toBe('second');
  });
});

describe('buildMessage', () => {
  it('is a Message object naming the account', () => {
    const message = buildMessage(parsed(valid), account);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: valid.model, stop_reason: 'end_turn' });
    expect(message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    expect(message.content[0]?.text).toContain('alice');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('stops at max_tokens', () => {
    const message = buildMessage(parsed({ ...valid, max_tokens: 2 }), account);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBeLessThanOrEqual(2);
  });
});

describe('messageEvents', () => {
  it('follows the real event order and reassembles the text', () => {
    const message = buildMessage(parsed(valid), account);
    const events = messageEvents(message);
    const names = events.map((event) => event.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = events.filter((event) => event.event === 'content_block_delta');
    expect(deltas.length).toBeGreaterThan(2);
    const text = deltas.map((event) => (event.data as { delta: { text: string } }).delta.text).join('');
    expect(text).toBe(message.content[0]?.text);
  });

  it('encodes one event per SSE frame', () => {
    expect(encodeEvent({ event: 'ping', data: { type: 'ping' } })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });

  it('splits text into chunks that rejoin losslessly', () => {
    const text = 'one two three four five six seven';
    expect(textChunks(text).join('')).toBe(text);
    expect(textChunks(text)).toHaveLength(3);
  });
});
