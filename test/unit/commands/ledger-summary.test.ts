import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedgerSummary, renderLedgerSummary, summarizeLedger, type UsageRow } from '../../../src/commands/ledger-summary.ts';

const FIXTURE = join(import.meta.dirname, 'usage-fixture.jsonl');
// "Today" starts at 00:00 UTC here, and days are UTC dates, so the fixture reads the same in every time zone.
const WINDOW = {
  nowMs: Date.parse('2026-03-10T15:00:00Z'),
  dayStartMs: Date.parse('2026-03-10T00:00:00Z'),
  dayOf: (timeMs: number) => new Date(timeMs).toISOString().slice(0, 10),
};

// The fixture's lines priced by hand ($/MTok from src/status/prices.ts):
const ALICE_0304 = (1200 * 3 + 300 * 15 + 5000 * 3.75 + 40_000 * 0.3) / 1e6; // sonnet 4.5: 0.03885
const ALICE_TODAY = (100 * 3 + 50 * 15 + 850 * 0.3) / 1e6; // sonnet 4.5: 0.001305
const BOB_0309 = (800 * 15 + 1200 * 75) / 1e6; // opus 4.1: 0.102
const LAPTOP_TODAY = (20 * 1 + 10 * 5) / 1e6; // haiku 4.5: 0.00007
const CAROL_TODAY = (400_000 * 1.25 + 20_000 * 10 + 600_000 * 0.125) / 1e6; // gpt-5-codex: 0.775
// carol's gpt-9-preview line (2000 tokens) has no price.

function costs(rows: UsageRow[]): Array<[string, number, number, number]> {
  return rows.map((row) => [row.key, row.today.costUsd, row.week.costUsd, row.week.unpricedTokens]);
}

describe('ledger summary', () => {
  it('totals requests and tokens per user and per model, today and over 7 days', async () => {
    const summary = await readLedgerSummary(FIXTURE, WINDOW);
    expect(summary.byUser.map((row) => [row.key, row.today.requests, row.today.tokens, row.week.requests, row.week.tokens])).toEqual([
      ['carol', 2, 1_022_000, 2, 1_022_000],
      ['alice', 1, 1000, 2, 47_500],
      ['bob', 1, 0, 2, 2000],
      ['peer laptop', 1, 30, 1, 30],
    ]);
    expect(summary.byModel.map((row) => [row.key, row.week.requests, row.week.tokens])).toEqual([
      ['gpt-5-codex', 1, 1_020_000],
      ['claude-sonnet-4-5', 2, 47_500],
      ['claude-opus-4-1', 1, 2000],
      ['gpt-9-preview', 1, 2000],
      ['claude-haiku-4-5', 1, 30],
      ['(no model)', 1, 0],
    ]);
    expect(summary.total.week.requests).toBe(7);
    expect(summary.total.today.tokens).toBe(1_023_030);
    // The garbage line and the line a crash cut short.
    expect(summary.skippedLines).toBe(2);
  });

  it('prices every row against the hand-computed figures, leaving unknown models out of the cost', async () => {
    const summary = await readLedgerSummary(FIXTURE, WINDOW);
    const expectClose = (actual: Array<[string, number, number, number]>, expected: Array<[string, number, number, number]>): void => {
      expect(actual.map(([key, , , unpriced]) => [key, unpriced])).toEqual(expected.map(([key, , , unpriced]) => [key, unpriced]));
      actual.forEach(([, today, week], index) => {
        expect(today).toBeCloseTo(expected[index]?.[1] ?? Number.NaN, 12);
        expect(week).toBeCloseTo(expected[index]?.[2] ?? Number.NaN, 12);
      });
    };
    expectClose(costs(summary.byUser), [
      ['carol', CAROL_TODAY, CAROL_TODAY, 2000],
      ['alice', ALICE_TODAY, ALICE_0304 + ALICE_TODAY, 0],
      ['bob', 0, BOB_0309, 0],
      ['peer laptop', LAPTOP_TODAY, LAPTOP_TODAY, 0],
    ]);
    expectClose(costs(summary.byCredential), [
      ['codex/team', CAROL_TODAY, CAROL_TODAY, 2000],
      ['claude/mine', ALICE_TODAY + LAPTOP_TODAY, ALICE_0304 + ALICE_TODAY + LAPTOP_TODAY, 0],
      ['claude/work', 0, BOB_0309, 0],
    ]);
    expectClose(costs(summary.byDay), [
      ['2026-03-04', 0, ALICE_0304, 0],
      ['2026-03-05', 0, 0, 0],
      ['2026-03-06', 0, 0, 0],
      ['2026-03-07', 0, 0, 0],
      ['2026-03-08', 0, 0, 0],
      ['2026-03-09', 0, BOB_0309, 0],
      ['2026-03-10', 0, ALICE_TODAY + LAPTOP_TODAY + CAROL_TODAY, 2000],
    ]);
    expect(summary.total.week.costUsd).toBeCloseTo(0.917225, 12);
  });

  it('reads the file the same way as a list of lines', async () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    expect(summarizeLedger(lines, WINDOW)).toEqual(await readLedgerSummary(FIXTURE, WINDOW));
  });

  it('renders a table per user, model, credential and day, with the cost', async () => {
    const text = renderLedgerSummary(await readLedgerSummary(FIXTURE, WINDOW), { color: false });
    expect(text).toMatchInlineSnapshot(`
      "usage (this node’s ledger; cost at API prices)
        user         requests today  tokens today  cost today  requests 7d  tokens 7d  cost 7d
        carol                     2         1.02M      $0.78*            2      1.02M   $0.78*
        alice                     1            1k      <$0.01            2      47.5k    $0.04
        bob                       1             0          $0            2         2k    $0.10
        peer laptop               1            30      <$0.01            1         30   <$0.01
        total                     5         1.02M      $0.78*            7      1.07M   $0.92*

        model              requests today  tokens today  cost today  requests 7d  tokens 7d  cost 7d
        gpt-5-codex                     1         1.02M       $0.78            1      1.02M    $0.78
        claude-sonnet-4-5               1            1k      <$0.01            2      47.5k    $0.04
        claude-opus-4-1                 0             0          $0            1         2k    $0.10
        gpt-9-preview                   1            2k           ?            1         2k        ?
        claude-haiku-4-5                1            30      <$0.01            1         30   <$0.01
        (no model)                      1             0          $0            1          0       $0

        credential   requests today  tokens today  cost today  requests 7d  tokens 7d  cost 7d
        codex/team                2         1.02M      $0.78*            2      1.02M   $0.78*
        claude/mine               2         1.03k      <$0.01            3      47.5k    $0.04
        claude/work               1             0          $0            2         2k    $0.10

        day         requests  tokens    cost
        2026-03-04         1   46.5k   $0.04
        2026-03-05         0       0      $0
        2026-03-06         0       0      $0
        2026-03-07         0       0      $0
        2026-03-08         0       0      $0
        2026-03-09         1      2k   $0.10
        2026-03-10         5   1.02M  $0.78*
        * 2k tokens of models without a price are not in the cost
        (2 unreadable lines skipped)
      "
    `);
  });

  it('treats a ledger that does not exist yet as no requests', async () => {
    const summary = await readLedgerSummary(join(import.meta.dirname, 'no-such-ledger.jsonl'), WINDOW);
    expect(summary.total.week.requests).toBe(0);
    expect(renderLedgerSummary(summary, { color: false })).toContain('no requests in the last 7 days');
  });
});
