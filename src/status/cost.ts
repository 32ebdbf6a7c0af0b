/**
 * Ledger tokens → US dollars at API prices (prices.ts). Pure. A model the table does not know is
 * not guessed at: its tokens are counted as unpriced, so a new model shows as "unknown" rather
 * than as a wrong figure.
 */
import { PRICES, type ModelPrice } from './prices.ts';

/** The token counts of one ledger line (or a sum of them), as `usage.jsonl` names them. */
export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Of cache_creation_input_tokens, those written to Claude's 1-hour cache; absent = none. */
  cache_creation_1h_input_tokens?: number;
}

export const ZERO_TOKENS: TokenCounts = Object.freeze({
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});

// Snapshot dates (`-20250929`, `-2026-04-01`) and Claude Code's context marker (`[1m]`) name the
// same model at the same price.
const SUFFIXES = /(\[[^\]]*\]|-\d{8}|-\d{4}-\d{2}-\d{2}|-latest)$/;
// After a known name, a segment like these names a different model (`claude-opus-4-9`, `gpt-5.4-pro`).
const OTHER_MODEL_SEGMENT = /^(\d|mini$|nano$|pro$|mini-|nano-|pro-)/;

const BY_NAME = new Map(PRICES.flatMap((entry) => entry.models.map((model) => [model, entry.price] as const)));

/** The price of `model`, or undefined for a model the table does not know. */
export function priceOf(model: string | null | undefined): ModelPrice | undefined {
  if (model === null || model === undefined) return undefined;
  let name = model.trim().toLowerCase();
  for (let previous = ''; previous !== name;) {
    previous = name;
    name = name.replace(SUFFIXES, '');
  }
  const exact = BY_NAME.get(name);
  if (exact !== undefined) return exact;
  // The longest known name this one extends by a variant (`gpt-5-codex-high` → `gpt-5-codex`).
  let best: { length: number; price: ModelPrice } | undefined;
  for (const [known, price] of BY_NAME) {
    if (!name.startsWith(`${known}-`) || OTHER_MODEL_SEGMENT.test(name.slice(known.length + 1))) continue;
    if (best === undefined || known.length > best.length) best = { length: known.length, price };
  }
  return best?.price;
}

/** Dollars for these tokens at this price. */
export function costUsd(tokens: TokenCounts, price: ModelPrice): number {
  const oneHourWrites = Math.min(tokens.cache_creation_1h_input_tokens ?? 0, tokens.cache_creation_input_tokens);
  return (
    (tokens.input_tokens * price.input +
      tokens.output_tokens * price.output +
      (tokens.cache_creation_input_tokens - oneHourWrites) * price.cacheWrite5m +
      oneHourWrites * price.cacheWrite1h +
      tokens.cache_read_input_tokens * price.cacheRead) /
    1_000_000
  );
}

/** Every token of the line, whatever its kind: what the account was billed against. */
export function totalTokens(tokens: TokenCounts): number {
  return tokens.input_tokens + tokens.output_tokens + tokens.cache_creation_input_tokens + tokens.cache_read_input_tokens;
}

/** Dollars for a ledger line's model, or undefined when the model has no price. */
export function costOfModel(model: string | null | undefined, tokens: TokenCounts): number | undefined {
  const price = priceOf(model);
  return price === undefined ? undefined : costUsd(tokens, price);
}
