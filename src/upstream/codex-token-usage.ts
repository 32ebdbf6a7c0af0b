/**
 * Token counts of one Responses API answer, read as it streams past: the `usage` of the
 * `response.completed` event (SSE), or of the Response object (JSON). Cached input counts as
 * cache reads, as Claude's `cache_read_input_tokens` does. Never throws.
 */
import type { TokenUsage, UsageTap } from './anthropic-usage.ts';

const MAX_JSON_BYTES = 4 * 1024 * 1024;

export function codexUsageTap(contentType: string | undefined): UsageTap {
  let usage: TokenUsage | undefined;
  if (contentType?.includes('text/event-stream')) {
    let pending = '';
    const readLine = (line: string): void => {
      if (!line.startsWith('data:') || !line.includes('"usage"')) return;
      const event = parse(line.slice(5));
      const response = event?.response as Record<string, unknown> | undefined;
      usage = fromUsage(response?.usage) ?? usage;
    };
    return {
      push(chunk) {
        pending += chunk.toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          readLine(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
        }
      },
      finish() {
        readLine(pending);
        return usage;
      },
    };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    finish: () => (size > MAX_JSON_BYTES ? undefined : fromUsage(parse(Buffer.concat(chunks).toString('utf8'))?.usage)),
  };
}

function fromUsage(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const count = (field: unknown): number => (typeof field === 'number' && Number.isFinite(field) && field >= 0 ? field : 0);
  const details = fields.input_tokens_details as Record<string, unknown> | undefined;
  const cached = count(details?.cached_tokens);
  return {
    input_tokens: Math.max(0, count(fields.input_tokens) - cached),
    output_tokens: count(fields.output_tokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
