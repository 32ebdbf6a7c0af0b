/**
 * Token counts of one Messages response: for SSE the usage of `message_start` (input and cache)
 * and the last `message_delta` (output, cumulative); for JSON the `usage` object. Never throws: a
 * body we cannot read just has no counts.
 */
import { count, jsonUsageTap, sseUsageTap, type TokenUsage, type UsageTap } from '../../upstream/index.ts';

export function claudeUsageTap(contentType: string | undefined): UsageTap {
  if (!contentType?.includes('text/event-stream')) return jsonUsageTap((body) => merge(undefined, body.usage));
  let usage: TokenUsage | undefined;
  return sseUsageTap(
    (event) => {
      const fields = event.type === 'message_start' ? (event.message as Record<string, unknown> | undefined)?.usage : event.usage;
      usage = merge(usage, fields) ?? usage;
    },
    () => usage,
  );
}

/** Later events only say what changed: keep earlier counts for fields they leave out. */
function merge(previous: TokenUsage | undefined, value: unknown): TokenUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const cacheCreation = count(fields.cache_creation_input_tokens, previous?.cache_creation_input_tokens ?? 0);
  // `cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}` splits the writes by
  // cache lifetime, which the vendor prices differently (anthropics/anthropic-sdk-php,
  // src/Models/Beta/BetaCacheCreation.php).
  const breakdown =
    fields.cache_creation !== null && typeof fields.cache_creation === 'object' ? (fields.cache_creation as Record<string, unknown>) : {};
  const oneHour = Math.min(count(breakdown.ephemeral_1h_input_tokens, previous?.cache_creation_1h_input_tokens ?? 0), cacheCreation);
  return {
    input_tokens: count(fields.input_tokens, previous?.input_tokens ?? 0),
    output_tokens: count(fields.output_tokens, previous?.output_tokens ?? 0),
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: count(fields.cache_read_input_tokens, previous?.cache_read_input_tokens ?? 0),
    ...(oneHour > 0 ? { cache_creation_1h_input_tokens: oneHour } : {}),
  };
}
