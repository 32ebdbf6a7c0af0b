/**
 * Token counts of one Messages response, read as the body streams past: for SSE the usage of
 * `message_start` (input and cache) and the last `message_delta` (output, cumulative); for JSON
 * the `usage` object at the end. Never throws: a body we cannot read just has no counts.
 */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface UsageTap {
  push(chunk: Buffer): void;
  finish(): TokenUsage | undefined;
}

/** JSON bodies bigger than this are not parsed for usage (the response still passes through). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;

export function claudeUsageTap(contentType: string | undefined): UsageTap {
  return contentType?.includes('text/event-stream') ? sseTap() : jsonTap();
}

function sseTap(): UsageTap {
  let pending = '';
  let usage: TokenUsage | undefined;
  const readLine = (line: string): void => {
    if (!line.startsWith('data:') || !line.includes('"usage"')) return;
    const event = parse(line.slice(5));
    const fields = event?.type === 'message_start' ? (event.message as Record<string, unknown> | undefined)?.usage : event?.usage;
    if (fields !== null && typeof fields === 'object') usage = merge(usage, fields as Record<string, unknown>);
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

function jsonTap(): UsageTap {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
    },
    finish() {
      if (size > MAX_JSON_BYTES) return undefined;
      const usage = parse(Buffer.concat(chunks).toString('utf8'))?.usage;
      return usage !== null && typeof usage === 'object' ? merge(undefined, usage as Record<string, unknown>) : undefined;
    },
  };
}

function merge(previous: TokenUsage | undefined, fields: Record<string, unknown>): TokenUsage {
  const pick = (key: keyof TokenUsage): number => {
    const value = fields[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : (previous?.[key] ?? 0);
  };
  return {
    input_tokens: pick('input_tokens'),
    output_tokens: pick('output_tokens'),
    cache_creation_input_tokens: pick('cache_creation_input_tokens'),
    cache_read_input_tokens: pick('cache_read_input_tokens'),
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
