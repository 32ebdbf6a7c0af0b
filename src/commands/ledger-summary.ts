/**
 * The usage summary under `quotamesh status --ledger` (CONFIG.md › State directory): requests,
 * tokens and what they would have cost at API prices (src/status/prices.ts), per user, per model,
 * per credential and per day, today and over the last 7 days, read from the node's `usage.jsonl`.
 * The file only grows, so it is streamed line by line; a line that does not parse (the one a
 * crash cut short) is counted and skipped, never fatal.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { costOfModel, parseLedgerLine } from '../status/index.ts';
import { columns, compactNumber, paint } from './terminal-text.ts';

export interface UsageTotals {
  requests: number;
  /** Input + output + cache creation + cache read: everything the account was billed against. */
  tokens: number;
  /** What the priced tokens would have cost at API prices, in US dollars. */
  costUsd: number;
  /** Tokens of models the price table does not know (not in costUsd). */
  unpricedTokens: number;
}

export interface UsageRow {
  key: string;
  today: UsageTotals;
  week: UsageTotals;
}

export interface LedgerSummary {
  byUser: UsageRow[];
  byModel: UsageRow[];
  byCredential: UsageRow[];
  /** The last 7 days, oldest first, each day's totals under `week` (`today` unused). */
  byDay: UsageRow[];
  total: UsageRow;
  skippedLines: number;
}

export interface SummaryWindow {
  nowMs: number;
  /** Start of "today" in the reader's time zone; the command passes local midnight. */
  dayStartMs: number;
  /** The day a moment belongs to, as `YYYY-MM-DD`; default the local date. */
  dayOf?: (timeMs: number) => string;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** Folds ledger lines one at a time, so a long file never has to sit in memory. */
export function ledgerAccumulator(window: SummaryWindow): { add(line: string): void; result(): LedgerSummary } {
  const weekStartMs = window.nowMs - WEEK_MS;
  const dayOf = window.dayOf ?? localDate;
  const users = new Map<string, UsageRow>();
  const models = new Map<string, UsageRow>();
  const credentials = new Map<string, UsageRow>();
  // The 7 day labels, today last: a day without requests is still a row.
  const days = new Map<string, UsageRow>();
  for (let back = 6; back >= 0; back -= 1) {
    const label = dayOf(window.dayStartMs - back * DAY_MS + DAY_MS / 2);
    days.set(label, emptyRow(label));
  }
  const total = emptyRow('total');
  let skippedLines = 0;
  return {
    add(line) {
      if (line.trim() === '') return;
      const entry = parseLedgerLine(line);
      if (entry === undefined) {
        skippedLines += 1;
        return;
      }
      if (entry.timeMs < weekStartMs || entry.timeMs > window.nowMs) return;
      const isToday = entry.timeMs >= window.dayStartMs;
      const cost = costOfModel(entry.rawModel, entry.tokens);
      const day = days.get(dayOf(entry.timeMs));
      const rows = [rowOf(users, entry.user), rowOf(models, entry.model), rowOf(credentials, entry.credential), total];
      for (const row of rows) {
        count(row.week, entry.totalTokens, cost);
        if (isToday) count(row.today, entry.totalTokens, cost);
      }
      if (day !== undefined) count(day.week, entry.totalTokens, cost);
    },
    result: () => ({
      byUser: sortRows(users),
      byModel: sortRows(models),
      byCredential: sortRows(credentials),
      byDay: [...days.values()],
      total,
      skippedLines,
    }),
  };
}

export function summarizeLedger(lines: Iterable<string>, window: SummaryWindow): LedgerSummary {
  const accumulator = ledgerAccumulator(window);
  for (const line of lines) accumulator.add(line);
  return accumulator.result();
}

/** Reads the ledger file; a file that does not exist yet is an empty summary (no requests). */
export async function readLedgerSummary(path: string, window: SummaryWindow): Promise<LedgerSummary> {
  const accumulator = ledgerAccumulator(window);
  const stream = createReadStream(path, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) accumulator.add(line);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
  }
  return accumulator.result();
}

export function renderLedgerSummary(summary: LedgerSummary, options: { color: boolean }): string {
  const { color } = options;
  const lines = [paint('usage', 'bold', color) + paint(' (this node’s ledger; cost at API prices)', 'dim', color)];
  if (summary.total.week.requests === 0) {
    lines.push('  no requests in the last 7 days');
  } else {
    lines.push(
      ...table('user', summary.byUser, color, summary.total),
      '',
      ...table('model', summary.byModel, color),
      '',
      ...table('credential', summary.byCredential, color),
      '',
      ...dayTable(summary.byDay, color),
    );
    if (summary.total.week.unpricedTokens > 0) {
      lines.push(
        paint(`  * ${compactNumber(summary.total.week.unpricedTokens)} tokens of models without a price are not in the cost`, 'dim', color),
      );
    }
  }
  if (summary.skippedLines > 0)
    lines.push(paint(`  (${summary.skippedLines} unreadable line${summary.skippedLines === 1 ? '' : 's'} skipped)`, 'dim', color));
  return `${lines.join('\n')}\n`;
}

function table(label: string, rows: UsageRow[], color: boolean, total?: UsageRow): string[] {
  const header = [`  ${label}`, 'requests today', 'tokens today', 'cost today', 'requests 7d', 'tokens 7d', 'cost 7d'].map((cell) =>
    paint(cell, 'dim', color),
  );
  const body = [...rows, ...(total === undefined ? [] : [total])].map((row) => [
    `  ${row === total ? paint(row.key, 'bold', color) : row.key}`,
    String(row.today.requests),
    compactNumber(row.today.tokens),
    costText(row.today),
    String(row.week.requests),
    compactNumber(row.week.tokens),
    costText(row.week),
  ]);
  return columns([header, ...body], ['left', 'right', 'right', 'right', 'right', 'right', 'right']);
}

function dayTable(rows: UsageRow[], color: boolean): string[] {
  const header = ['  day', 'requests', 'tokens', 'cost'].map((cell) => paint(cell, 'dim', color));
  const body = rows.map((row) => [`  ${row.key}`, String(row.week.requests), compactNumber(row.week.tokens), costText(row.week)]);
  return columns([header, ...body], ['left', 'right', 'right', 'right']);
}

/** `$12.34`; `?` when none of the tokens has a price; a `*` when some have none. */
export function costText(totals: UsageTotals): string {
  if (totals.tokens > 0 && totals.unpricedTokens === totals.tokens) return '?';
  const dollars = totals.costUsd;
  const text =
    dollars === 0 ? '$0' : dollars < 0.01 ? '<$0.01' : dollars >= 10_000 ? `$${compactNumber(dollars)}` : `$${dollars.toFixed(2)}`;
  return totals.unpricedTokens > 0 ? `${text}*` : text;
}

function emptyTotals(): UsageTotals {
  return { requests: 0, tokens: 0, costUsd: 0, unpricedTokens: 0 };
}

function emptyRow(key: string): UsageRow {
  return { key, today: emptyTotals(), week: emptyTotals() };
}

function rowOf(rows: Map<string, UsageRow>, key: string): UsageRow {
  let row = rows.get(key);
  if (row === undefined) rows.set(key, (row = emptyRow(key)));
  return row;
}

function count(totals: UsageTotals, tokens: number, cost: number | undefined): void {
  totals.requests += 1;
  totals.tokens += tokens;
  if (cost === undefined) totals.unpricedTokens += tokens;
  else totals.costUsd += cost;
}

/** Heaviest first, so the person who used the pool most is at the top. */
function sortRows(rows: Map<string, UsageRow>): UsageRow[] {
  return [...rows.values()].sort(
    (a, b) => b.week.tokens - a.week.tokens || b.week.requests - a.week.requests || a.key.localeCompare(b.key),
  );
}

/** Local midnight of `nowMs`: "today" means the reader's day, not UTC's. */
export function localDayStartMs(nowMs: number): number {
  const day = new Date(nowMs);
  day.setHours(0, 0, 0, 0);
  return day.getTime();
}

function localDate(timeMs: number): string {
  const date = new Date(timeMs);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}
