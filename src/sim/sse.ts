import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { sleep } from '../lib/index.ts';
import { textChunks, type SimMessage } from './reply.ts';

export interface SseEvent {
  event: string;
  data: unknown;
}

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

export function encodeEvent(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export interface StreamOptions {
  headers: Record<string, string>;
  delayMs: number;
  signal: AbortSignal;
  /** After this many events: `stall` waits forever, `cut` destroys the socket. */
  interruption?: { kind: 'stall' | 'cut'; afterEvents: number };
}

/**
 * Writes each event on its own with a pause between, so a proxy that buffers is caught by tests
 * that watch events arrive spread out. Honours backpressure and stops when the client leaves.
 */
export async function writeEventStream(res: ServerResponse, events: SseEvent[], options: StreamOptions): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...options.headers,
  });
  res.flushHeaders();
  const stopAt = options.interruption?.afterEvents ?? Number.POSITIVE_INFINITY;
  for (const [index, event] of events.entries()) {
    if (options.signal.aborted || res.destroyed) return;
    if (index >= stopAt) break;
    if (index > 0) await sleep(options.delayMs, options.signal);
    if (options.signal.aborted || res.destroyed) return;
    if (!res.write(encodeEvent(event))) await drained(res, options.signal);
  }
  if (options.interruption === undefined) {
    res.end();
    return;
  }
  if (options.interruption.kind === 'cut') {
    res.destroy();
    return;
  }
  await waitForAbort(options.signal);
  res.destroy();
}

async function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  try {
    await once(res, 'drain', { signal });
  } catch {
    // Aborted: the caller checks the signal next.
  }
}

export function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
