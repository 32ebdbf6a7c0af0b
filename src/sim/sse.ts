import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { sleep } from '../lib/index.ts';

export interface SseEvent {
  event: string;
  data: unknown;
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
