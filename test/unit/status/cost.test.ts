import { describe, expect, it } from 'vitest';
import { costOfModel, parseLedgerLine, PRICES, priceOf, type TokenCounts } from '../../../src/status/index.ts';

const M = 1_000_000;
const tokens = (input: number, output: number, cacheWrite: number, cacheRead: number): TokenCounts => ({
  input_tokens: input,
  output_tokens: output,
  cache_creation_input_tokens: cacheWrite,
  cache_read_input_tokens: cacheRead,
});

describe('cost at API prices', () => {
  // Each figure worked out by hand from the vendors' published $/MTok (src/status/prices.ts).
  it.each([
    // 1M × $3 + 0.1M × $15 + 0.2M × $3.75 (5m write, 1.25×) + 2M × $0.30 (hit, 0.1×)
    ['claude-sonnet-4-5-20250929', tokens(M, 100_000, 200_000, 2 * M), 3 + 1.5 + 0.75 + 0.6],
    ['claude-sonnet-4-5[1m]', tokens(M, 100_000, 200_000, 2 * M), 5.85],
    // 900k × $15 + 1 × $75/M
    ['claude-opus-4-1', tokens(900_000, 1, 0, 0), 13.5 + 0.000075],
    // 10k × $5 + 20k × $25 + 40k × $6.25 + 100k × $0.50
    ['claude-opus-4-6', tokens(10_000, 20_000, 40_000, 100_000), 0.05 + 0.5 + 0.25 + 0.05],
    ['claude-haiku-4-5', tokens(M, M, M, M), 1 + 5 + 1.25 + 0.1],
    ['claude-3-5-haiku-20241022', tokens(M, M, M, M), 0.8 + 4 + 1 + 0.08],
    ['claude-3-haiku-20240307', tokens(M, M, M, M), 0.25 + 1.25 + 0.3 + 0.03],
    // Sonnet 5.5's hits are 0.05× input since 2026-10-07.
    ['claude-sonnet-5-5', tokens(M, M, M, M), 2 + 10 + 2.5 + 0.1],
    // Codex: input without the cached part, cached input as cache reads, no charge to write.
    ['gpt-5-codex', tokens(700_000, 50_000, 0, 300_000), 0.875 + 0.5 + 0.0375],
    ['GPT-5.1-Codex-Max', tokens(M, M, M, M), 1.25 + 10 + 0 + 0.125],
    ['gpt-5.1-codex-mini', tokens(M, M, 0, M), 0.25 + 2 + 0.025],
    ['gpt-5.4', tokens(M, M, 0, M), 2.5 + 15 + 0.25],
    ['gpt-5.3-codex-2026-02-01', tokens(M, 0, 0, 0), 1.75],
  ])('%s', (model, counts, dollars) => {
    expect(costOfModel(model, counts)).toBeCloseTo(dollars, 9);
  });

  it.each([['claude-opus-4-9'], ['gpt-5.4-pro'], ['gpt-5.5-pro'], ['llama-3-70b'], [''], [null], [undefined]])(
    'leaves %s unpriced rather than guessing',
    (model) => {
      expect(priceOf(model)).toBeUndefined();
      expect(costOfModel(model, tokens(M, M, M, M))).toBeUndefined();
    },
  );

  it('prices 1-hour cache writes at 2× input and the rest at 1.25×, as a ledger line records them', () => {
    const line = JSON.stringify({
      time: '2026-11-21T12:00:00Z',
      user: 'alice',
      model: 'claude-opus-4-6',
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: M,
      cache_creation_1h_input_tokens: 400_000,
      cache_read_input_tokens: 0,
    });
    const entry = parseLedgerLine(line);
    // 600k × $6.25 (5 minutes) + 400k × $10 (1 hour)
    expect(costOfModel(entry?.rawModel, entry?.tokens ?? tokens(0, 0, 0, 0))).toBeCloseTo(3.75 + 4, 9);
    // A 1-hour count larger than all writes (a hand-edited file) is held to the writes.
    const inflated = parseLedgerLine(line.replace('400000', '9000000'));
    expect(costOfModel(inflated?.rawModel, inflated?.tokens ?? tokens(0, 0, 0, 0))).toBeCloseTo(10, 9);
  });

  it('prices a variant of a known model as that model', () => {
    expect(priceOf('gpt-5-codex-high')).toBe(priceOf('gpt-5-codex'));
    expect(priceOf('claude-opus-4-5-latest')).toBe(priceOf('claude-opus-4-5'));
  });

  it('keeps Anthropic cache writes at 1.25× (5 minutes) and 2× (1 hour) of input, as the vendor does', () => {
    const claude = PRICES.filter((entry) => entry.models.some((model) => model.startsWith('claude-')));
    for (const { models, price } of claude) {
      if (models.includes('claude-3-haiku')) continue;
      expect([models[0], price.cacheWrite5m], 'cache write 5m').toEqual([models[0], price.input * 1.25]);
      expect([models[0], price.cacheWrite1h], 'cache write 1h').toEqual([models[0], price.input * 2]);
    }
  });

  it('names every model once', () => {
    const names = PRICES.flatMap((entry) => entry.models);
    expect(new Set(names).size).toBe(names.length);
  });
});
