/**
 * Ledger entries → usage per day for the dashboard's chart (`GET /v1/admin/usage`, PROTOCOL.md
 * › Usage series): tokens and API-price cost per user and per credential, one value per UTC day.
 * Pure. The heaviest series are kept and the rest summed as `(others)`, so the answer stays small
 * and the chart readable whatever the ledger holds.
 */
import { costOfModel } from './cost.ts';
import type { LedgerEntry } from './ledger-line.ts';

export interface Series {
  key: string;
  /** One value per day of `days`. */
  tokens: number[];
  costUsd: number[];
}

export interface UsageSeries {
  /** UTC days, `YYYY-MM-DD`, oldest first, ending today. */
  days: string[];
  users: Series[];
  credentials: Series[];
  /** Tokens of models the price table does not know (in `tokens`, not in `costUsd`). */
  unpricedTokens: number;
}

export const MAX_SERIES = 8;
export const MAX_DAYS = 90;
const DAY_MS = 86_400_000;
const OTHERS = '(others)';

export function usageSeriesBuilder(options: { nowMs: number; days: number }): {
  add(entry: LedgerEntry): void;
  result(): UsageSeries;
} {
  const dayCount = Number.isFinite(options.days) ? Math.min(MAX_DAYS, Math.max(1, Math.floor(options.days))) : 1;
  const todayStartMs = Math.floor(options.nowMs / DAY_MS) * DAY_MS;
  const firstDayMs = todayStartMs - (dayCount - 1) * DAY_MS;
  const days = Array.from({ length: dayCount }, (_, index) => new Date(firstDayMs + index * DAY_MS).toISOString().slice(0, 10));
  const users = new Map<string, Series>();
  const credentials = new Map<string, Series>();
  let unpricedTokens = 0;
  const seriesOf = (all: Map<string, Series>, key: string): Series => {
    let series = all.get(key);
    if (series === undefined) all.set(key, (series = emptySeries(key, dayCount)));
    return series;
  };
  return {
    add(entry) {
      if (entry.timeMs < firstDayMs || entry.timeMs > options.nowMs) return;
      const day = Math.floor((entry.timeMs - firstDayMs) / DAY_MS);
      const cost = costOfModel(entry.rawModel, entry.tokens);
      if (cost === undefined) unpricedTokens += entry.totalTokens;
      for (const series of [seriesOf(users, entry.user), seriesOf(credentials, entry.credential)]) {
        series.tokens[day] = (series.tokens[day] ?? 0) + entry.totalTokens;
        series.costUsd[day] = (series.costUsd[day] ?? 0) + (cost ?? 0);
      }
    },
    result: () => ({ days, users: heaviest(users, dayCount), credentials: heaviest(credentials, dayCount), unpricedTokens }),
  };
}

export function usageSeries(entries: Iterable<LedgerEntry>, options: { nowMs: number; days: number }): UsageSeries {
  const builder = usageSeriesBuilder(options);
  for (const entry of entries) builder.add(entry);
  return builder.result();
}

function emptySeries(key: string, dayCount: number): Series {
  return { key, tokens: new Array<number>(dayCount).fill(0), costUsd: new Array<number>(dayCount).fill(0) };
}

/** Most tokens first; past MAX_SERIES the lightest are summed into one `(others)` series. */
function heaviest(all: Map<string, Series>, dayCount: number): Series[] {
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  const sorted = [...all.values()].sort((a, b) => sum(b.tokens) - sum(a.tokens) || a.key.localeCompare(b.key));
  if (sorted.length <= MAX_SERIES) return sorted;
  const others = emptySeries(OTHERS, dayCount);
  for (const series of sorted.slice(MAX_SERIES - 1)) {
    series.tokens.forEach((value, day) => (others.tokens[day] = (others.tokens[day] ?? 0) + value));
    series.costUsd.forEach((value, day) => (others.costUsd[day] = (others.costUsd[day] ?? 0) + value));
  }
  return [...sorted.slice(0, MAX_SERIES - 1), others];
}
