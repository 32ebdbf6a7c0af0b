import { describe, expect, it } from 'vitest';
import { MAX_SERIES, parseLedgerLine, usageSeries, type LedgerEntry } from '../../../src/status/index.ts';

const NOW = Date.parse('2026-03-10T15:00:00Z');

function entry(time: string, user: string, credential: string, model: string, input: number, output = 0): LedgerEntry {
  const line = JSON.stringify({ time, user, provider: 'claude', credential, model, input_tokens: input, output_tokens: output });
  const parsed = parseLedgerLine(line);
  if (parsed === undefined) throw new Error('fixture line does not parse');
  return parsed;
}

describe('usage series', () => {
  it('puts tokens and cost on UTC days, per user and per credential', () => {
    const series = usageSeries(
      [
        entry('2026-03-08T23:59:59Z', 'alice', 'big', 'claude-sonnet-4-5', 1_000_000), // $3
        entry('2026-03-09T00:00:00Z', 'alice', 'small', 'claude-opus-4-6', 0, 100_000), // $2.50
        entry('2026-03-10T10:00:00Z', 'bob', 'big', 'claude-haiku-4-5', 2_000_000), // $2
        entry('2026-03-10T11:00:00Z', 'bob', 'big', 'mystery-model', 500),
        entry('2026-03-07T12:00:00Z', 'alice', 'big', 'claude-sonnet-4-5', 1), // before the window
        entry('2026-03-10T16:00:00Z', 'alice', 'big', 'claude-sonnet-4-5', 1), // after now
      ],
      { nowMs: NOW, days: 3 },
    );
    expect(series.days).toEqual(['2026-03-08', '2026-03-09', '2026-03-10']);
    expect(series.users).toEqual([
      { key: 'bob', tokens: [0, 0, 2_000_500], costUsd: [0, 0, 2] },
      { key: 'alice', tokens: [1_000_000, 100_000, 0], costUsd: [3, 2.5, 0] },
    ]);
    expect(series.credentials).toEqual([
      { key: 'claude/big', tokens: [1_000_000, 0, 2_000_500], costUsd: [3, 0, 2] },
      { key: 'claude/small', tokens: [0, 100_000, 0], costUsd: [0, 2.5, 0] },
    ]);
    expect(series.unpricedTokens).toBe(500);
  });

  it(`keeps the ${MAX_SERIES - 1} heaviest series and sums the rest as (others)`, () => {
    const entries = Array.from({ length: 20 }, (_, index) =>
      entry('2026-03-10T10:00:00Z', `user${String(index).padStart(2, '0')}`, 'big', 'claude-haiku-4-5', (index + 1) * 1_000_000),
    );
    const series = usageSeries(entries, { nowMs: NOW, days: 1 });
    expect(series.users).toHaveLength(MAX_SERIES);
    expect(series.users.slice(0, 2).map((item) => item.key)).toEqual(['user19', 'user18']);
    const others = series.users.at(-1);
    // users 00..12 hold 1M..13M tokens: 91M together, at $1/MTok.
    expect(others).toEqual({ key: '(others)', tokens: [91_000_000], costUsd: [91] });
  });

  it('bounds the number of days asked for', () => {
    expect(usageSeries([], { nowMs: NOW, days: 10_000 }).days).toHaveLength(90);
    expect(usageSeries([], { nowMs: NOW, days: 0 }).days).toEqual(['2026-03-10']);
  });
});
