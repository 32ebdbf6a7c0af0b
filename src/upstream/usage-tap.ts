/**
 * Reading token counts from a response body as it streams past, whatever the provider: SSE
 * bodies line by line (only `data:` lines that mention usage are parsed), JSON bodies whole at
 * the end (up to a bound). The providers say which events carry usage and how to read it.
 */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** The part of cache_creation_input_tokens written to Claude's 1-hour cache (priced 2× input, not 1.25×); absent when none. */
  cache_creation_1h_input_tokens?: number;
}

export interface UsageTap {
  push(chunk: Buffer): void;
  finish(): TokenUsage | undefined;
}

import { LineSplitter } from '../lib/index.ts';
import { MAX_TOKEN_COUNT } from './upstream-values.ts';

/** JSON bodies bigger than this are not parsed for usage (the response still passes through). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

/**
 * An SSE line longer than this ends the tap for that response (usage unknown, the response
 * still passes through): a peer's endless line must not be held, or re-scanned, per chunk.
 */
const MAX_SSE_LINE_BYTES = 4 * 1024 * 1024;

/** `onEvent` sees each SSE data payload that mentions `"usage"`, parsed; `result` is read at the end. */
export function sseUsageTap(onEvent: (event: Record<string, unknown>) => void, result: () => TokenUsage | undefined): UsageTap {
  const lines = new LineSplitter(MAX_SSE_LINE_BYTES);
  const readLine = (line: string): void => {
    if (!line.startsWith('data:') || !line.includes('"usage"')) return;
    const event = parseObject(line.slice(5));
    if (event !== undefined) onEvent(event);
  };
  return {
    push(chunk) {
      lines.push(chunk, readLine);
    },
    finish() {
      if (lines.isOverLimit) return undefined;
      readLine(lines.flush());
      return result();
    },
  };
}

export function jsonUsageTap(read: (body: Record<string, unknown>) => TokenUsage | undefined): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    finish() {
      if (size > MAX_JSON_BYTES) return undefined;
      const body = parseObject(Buffer.concat(chunks).toString('utf8'));
      return body === undefined ? undefined : read(body);
    },
  };
}

export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A whole, non-negative count up to MAX_TOKEN_COUNT, or `fallback`: the ledger sums these, and a
 * peer's 1e308 (or 0.5) must not become its totals.
 */
export function count(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_TOKEN_COUNT ? Math.round(value) : fallback;
}
