import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLedgerSummary, renderLedgerSummary, summarizeLedger } from '../../../src/commands/ledger-summary.ts';

const FIXTURE = join(import.meta.dirname, 'usage-fixture.jsonl');
// "Today" starts at 00:00 UTC here so the fixture reads the same in every time zone.
const WINDOW = { nowMs: Date.parse('2026-03-10T15:00:00Z'), dayStartMs: Date.parse('2026-03-10T00:00:00Z') };

describe('ledger summary', () => {
  it('totals requests and tokens per user and per model, today and over 7 days', async () => {
    const summary = await readLedgerSummary(FIXTURE, WINDOW);
    expect(summary.byUser).toEqual([
      { key: 'alice', today: { requests: 1, tokens: 1000 }, week: { requests: 2, tokens: 47_500 } },
      { key: 'bob', today: { requests: 1, tokens: 0 }, week: { requests: 2, tokens: 2000 } },
      { key: 'peer laptop', today: { requests: 1, tokens: 30 }, week: { requests: 1, tokens: 30 } },
    ]);
    expect(summary.byModel.map((row) => [row.key, row.week.requests, row.week.tokens])).toEqual([
      ['claude-sonnet-4-5', 2, 47_500],
      ['claude-opus-4-1', 1, 2000],
      ['claude-haiku-4-5', 1, 30],
      ['(no model)', 1, 0],
    ]);
    expect(summary.total).toEqual({ key: 'total', today: { requests: 3, tokens: 1030 }, week: { requests: 5, tokens: 49_530 } });
    // The garbage line and the line a crash cut short.
    expect(summary.skippedLines).toBe(2);
  });

  it('reads the file the same way as a list of lines', async () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    expect(summarizeLedger(lines, WINDOW)).toEqual(await readLedgerSummary(FIXTURE, WINDOW));
  });

  it('renders a table per user and per model', async () => {
    const text = renderLedgerSummary(await readLedgerSummary(FIXTURE, WINDOW), { color: false });
    expect(text).toMatchInlineSnapshot(`
      "usage (this node’s ledger)
        user         requests today  tokens today  requests 7d  tokens 7d
        alice                     1            1k            2      47.5k
        bob                       1             0            2         2k
        peer laptop               1            30            1         30
        total                     3         1.03k            5      49.5k

        model              requests today  tokens today  requests 7d  tokens 7d
        claude-sonnet-4-5               1            1k            2      47.5k
        claude-opus-4-1                 0             0            1         2k
        claude-haiku-4-5                1            30            1         30
        (no model)                      1             0            1          0
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
