/**
 * What a token would cost at the vendors' public API prices, in US dollars per million tokens
 * (MTok). The one table to maintain: a price change is an edit here and nowhere else, and
 * `test/unit/status/cost.test.ts` holds the hand-computed figures that must move with it.
 *
 * Sources, read 2026-12-01:
 * - Anthropic: platform.claude.com/docs/en/about-claude/pricing, "Model pricing" (base input,
 *   5m cache writes, 1h cache writes, cache hits and refreshes, output) and the model pages
 *   (platform.claude.com/docs/about-claude/models/...). Cache writes are 1.25× input for the
 *   5-minute cache and 2× for the 1-hour cache; cache hits 0.1× input, except where the table
 *   says otherwise (Opus 5.5, Sonnet 5.5 since 2026-10-07, Fable/Mythos 5.1).
 * - OpenAI: developers.openai.com/api/docs/pricing, standard tier, "Text tokens" (input, cached
 *   input, output) and developers.openai.com/api/docs/models/gpt-5-codex. OpenAI charges nothing
 *   extra to write its prompt cache; cached input is a tenth of input on the GPT-5 family.
 *
 * Not modelled: Haiku 5.5's higher band for prompts over 100k tokens, batch and priority tiers,
 * and OpenAI's long-context surcharges. Cache writes are 5-minute writes unless the ledger line
 * says how many went to the 1-hour cache (`cache_creation_1h_input_tokens`, from Claude's
 * `usage.cache_creation` breakdown).
 */

export interface ModelPrice {
  /** US dollars per million tokens. */
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export interface PriceEntry {
  /** Model names as the vendor's API takes them, without a date suffix. */
  models: readonly string[];
  price: ModelPrice;
}

/** Anthropic's rates follow from input: 5m writes 1.25×, 1h writes 2×, hits 0.1× (unless given). */
function claude(input: number, output: number, cacheRead = input * 0.1): ModelPrice {
  return { input, output, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2, cacheRead };
}

/** OpenAI bills cached input at its own rate and nothing for writing the cache. */
function openai(input: number, cachedInput: number, output: number): ModelPrice {
  return { input, output, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: cachedInput };
}

export const PRICES: readonly PriceEntry[] = [
  // Anthropic
  { models: ['claude-fable-5-1', 'claude-mythos-5-1'], price: claude(10, 50, 0.25) },
  { models: ['claude-fable-5', 'claude-mythos-5'], price: claude(10, 50, 1) },
  { models: ['claude-opus-5-5'], price: claude(4, 20, 0.2) },
  { models: ['claude-opus-5', 'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5'], price: claude(5, 25) },
  { models: ['claude-opus-4-1', 'claude-opus-4', 'claude-opus-4-0', 'claude-3-opus'], price: claude(15, 75) },
  { models: ['claude-sonnet-5-5'], price: claude(2, 10, 0.1) },
  { models: ['claude-sonnet-5'], price: claude(2, 10) },
  {
    models: ['claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-sonnet-4', 'claude-sonnet-4-0', 'claude-3-7-sonnet', 'claude-3-5-sonnet'],
    price: claude(3, 15),
  },
  { models: ['claude-haiku-5-5'], price: claude(0.1, 0.5, 0.01) },
  { models: ['claude-haiku-4-5'], price: claude(1, 5) },
  { models: ['claude-3-5-haiku'], price: claude(0.8, 4) },
  { models: ['claude-3-haiku'], price: { input: 0.25, output: 1.25, cacheWrite5m: 0.3, cacheWrite1h: 0.5, cacheRead: 0.03 } },
  // OpenAI (the models Codex runs; a `-codex` variant without a row costs what its base model does)
  { models: ['gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-5.6-luna', 'gpt-5.5'], price: openai(5, 0.5, 30) },
  { models: ['gpt-5.4'], price: openai(2.5, 0.25, 15) },
  { models: ['gpt-5.4-mini'], price: openai(0.75, 0.075, 4.5) },
  { models: ['gpt-5.4-nano'], price: openai(0.2, 0.02, 1.25) },
  { models: ['gpt-5.3-codex', 'gpt-5.2-codex', 'gpt-5.2'], price: openai(1.75, 0.175, 14) },
  { models: ['gpt-5.1-codex-max', 'gpt-5.1-codex', 'gpt-5.1', 'gpt-5-codex', 'gpt-5'], price: openai(1.25, 0.125, 10) },
  { models: ['gpt-5.1-codex-mini', 'gpt-5-mini'], price: openai(0.25, 0.025, 2) },
];
