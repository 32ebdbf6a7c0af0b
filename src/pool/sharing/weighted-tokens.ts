/**
 * The weight of one request when a rise in a credential's utilization is split among the requests
 * behind it: input + output + cache creation, with cache reads at the provider's discount
 * (`cacheReadWeight`, 0.1 for Claude and Codex: both bill a cached input token at a tenth of a
 * fresh one). Counts come from the body tap and are bounded there; garbage weighs nothing.
 */
export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export function weightedTokens(usage: TokenCounts | undefined, cacheReadWeight: number): number {
  if (usage === undefined) return 0;
  const weight = Number.isFinite(cacheReadWeight) && cacheReadWeight >= 0 ? cacheReadWeight : 0;
  return (
    nonNegative(usage.input_tokens) +
    nonNegative(usage.output_tokens) +
    nonNegative(usage.cache_creation_input_tokens) +
    weight * nonNegative(usage.cache_read_input_tokens)
  );
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
