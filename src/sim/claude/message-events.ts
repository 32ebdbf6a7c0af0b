import type { SseEvent } from '../sse.ts';
import { textChunks } from '../text.ts';
import type { SimMessage } from './reply.ts';

/**
 * The Messages streaming sequence as the real API sends it: message_start (empty content,
 * output_tokens 1), content_block_start, ping, text deltas, content_block_stop, message_delta
 * (stop_reason + final usage), message_stop.
 */
export function messageEvents(message: SimMessage): SseEvent[] {
  const text = message.content[0]?.text ?? '';
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...message.usage, output_tokens: 1 } },
      },
    },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
  ];
  for (const chunk of textChunks(text)) {
    events.push({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: chunk } },
    });
  }
  events.push(
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: {
          input_tokens: message.usage.input_tokens,
          cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
          cache_read_input_tokens: message.usage.cache_read_input_tokens,
          output_tokens: message.usage.output_tokens,
        },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}
