/**
 * The usage summary under `quotamesh status` (CONFIG.md › State directory): requests and tokens per
 * user and per model, today and over the last 7 days, read from the node's `usage.jsonl`. The file
 * only grows, so it is streamed line by line; a line that does not parse (the one a crash cut
 * short) is counted and skipped, never fatal.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { columns, compactNumber, paint } from './terminal-text.ts';

export interface UsageTotals {
  requests: number;
  /** Input + output + cache creation + cache read: everything the account was billed against. */
  tokens: number;
}

export interface UsageRow {
  key: string;
  today: UsageTotals;
  week: UsageTotals;
}

export interface LedgerSummary {
  byUser: UsageRow[];
  byModel: UsageRow[];
  total: UsageRow;
  skippedLines: number;
}

export interface SummaryWindow {
  nowMs: number;
  /** Start of "today" in the reader's time zone; the command passes local midnight. */
  dayStartMs: number;
}

const WEEK_MS = 7 * 86_400_000;

/** Folds ledger lines one at a time, so a long file never has to sit in memory. */
export function ledgerAccumulator(window: SummaryWindow): { add(line: string): void; result(): LedgerSummary } {
  const weekStartMs = window.nowMs - WEEK_MS;
  const users = new Map<string, UsageRow>();
  const models = new Map<string, UsageRow>();
  const total = emptyRow('total');
  let skippedLines = 0;
  return {
    add(line) {
      if (line.trim() === '') return;
      const record = parseLine(line);
      if (record === undefined) {
        skippedLines += 1;
        return;
      }
      if (record.timeMs < weekStartMs) return;
      const isToday = record.timeMs >= window.dayStartMs;
      for (const row of [rowOf(users, record.user), rowOf(models, record.model), total]) {
        count(row.week, record.tokens);
        if (isToday) count(row.today, record.tokens);
      }
    },
    result: () => ({ byUser: sortRows(users), byModel: sortRows(models), total, skippedLines }),
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
  const lines = [paint('usage', 'bold', color) + paint(' (this node’s ledger)', 'dim', color)];
  if (summary.total.week.requests === 0) {
    lines.push('  no requests in the last 7 days');
  } else {
    lines.push(...table('user', summary.byUser, color, summary.total), '', ...table('model', summary.byModel, color));
  }
  if (summary.skippedLines > 0)
    lines.push(paint(`  (${summary.skippedLines} unreadable line${summary.skippedLines === 1 ? '' : 's'} skipped)`, 'dim', color));
  return `${lines.join('\n')}\n`;
}

function table(label: string, rows: UsageRow[], color: boolean, total?: UsageRow): string[] {
  const header = [`  ${label}`, 'requests today', 'tokens today', 'requests 7d', 'tokens 7d'].map((cell) => paint(cell, 'dim', color));
  const body = [...rows, ...(total === undefined ? [] : [total])].map((row) => [
    `  ${row === total ? paint(row.key, 'bold', color) : row.key}`,
    String(row.today.requests),
    compactNumber(row.today.tokens),
    String(row.week.requests),
    compactNumber(row.week.tokens),
  ]);
  return columns([header, ...body], ['left', 'right', 'right', 'right', 'right']);
}

interface ParsedLine {
  timeMs: number;
  user: string;
  model: string;
  tokens: number;
}

function parseLine(line: string): ParsedLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const timeMs = typeof record.time === 'string' ? Date.parse(record.time) : Number.NaN;
  if (!Number.isFinite(timeMs)) return undefined;
  // A request a peer made through its tunnel has no user of ours; it is charged to the peer.
  const user = typeof record.user === 'string' ? record.user : typeof record.peer === 'string' ? `peer ${record.peer}` : '(unknown)';
  const model = typeof record.model === 'string' && record.model !== '' ? record.model : '(no model)';
  const tokens = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']
    .map((key) => record[key])
    .reduce<number>((sum, count) => sum + (typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0), 0);
  return { timeMs, user, model, tokens };
}

function emptyRow(key: string): UsageRow {
  return { key, today: { requests: 0, tokens: 0 }, week: { requests: 0, tokens: 0 } };
}

function rowOf(rows: Map<string, UsageRow>, key: string): UsageRow {
  let row = rows.get(key);
  if (row === undefined) rows.set(key, (row = emptyRow(key)));
  return row;
}

function count(totals: UsageTotals, tokens: number): void {
  totals.requests += 1;
  totals.tokens += tokens;
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
