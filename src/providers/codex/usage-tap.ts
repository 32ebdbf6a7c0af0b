/**
 * Token counts of one Responses API answer: the `usage` of the `response.completed` event (SSE),
 * or of the Response object (JSON). Cached input counts as cache reads, as Claude's
 * `cache_read_input_tokens` does. Never throws.
 */
import { count, jsonUsageTap, sseUsageTap, type TokenUsage, type UsageTap } from '../../upstream/index.ts';

export function codexUsageTap(contentType: string | undefined): UsageTap {
  if (!contentType?.includes('text/event-stream')) return jsonUsageTap((body) => fromUsage(body.usage));
  let usage: TokenUsage | undefined;
  return sseUsageTap(
    (event) => {
      usage = fromUsage((event.response as Record<string, unknown> | undefined)?.usage) ?? usage;
    },
    () => usage,
  );
}

function fromUsage(value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const cached = count((fields.input_tokens_details as Record<string, unknown> | undefined)?.cached_tokens);
  return {
    input_tokens: Math.max(0, count(fields.input_tokens) - cached),
    output_tokens: count(fields.output_tokens),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}
