/**
 * One caller's attributed consumption on one provider, as rolling sums over the last 5 hours and
 * the last 7 days. Amounts are whole nano-points, so the sums are exact however many entries come
 * and go (floating-point adds and subtracts would drift). An entry counts while `atMs > now −
 * window`; it ages out at `atMs + window`.
 */

export const FIVE_HOUR_MS = 5 * 3600 * 1000;
export const WEEK_MS = 7 * 24 * 3600 * 1000;
/** Entries kept per caller and provider; past it the two oldest merge (see #bound). */
export const MAX_ENTRIES_PER_CALLER = 20_000;

export interface ConsumptionEntry {
  atMs: number;
  fiveHourNano: number;
  weeklyNano: number;
}

export type WindowKey = 'fiveHour' | 'weekly';

/** The earliest time the sum over `entries` (oldest first) within `windowMs` drops below `limitNano`. */
export function retryAtMs(
  entries: readonly ConsumptionEntry[],
  window: WindowKey,
  windowMs: number,
  limitNano: number,
  nowMs: number,
): number | undefined {
  const key = window === 'fiveHour' ? 'fiveHourNano' : 'weeklyNano';
  const live = entries.filter((entry) => entry.atMs > nowMs - windowMs);
  let sum = live.reduce((total, entry) => total + entry[key], 0);
  if (sum < limitNano) return undefined;
  for (const entry of live) {
    sum -= entry[key];
    if (sum < limitNano) return entry.atMs + windowMs;
  }
  return undefined;
}

export function windowSum(entries: readonly ConsumptionEntry[], window: WindowKey, windowMs: number, nowMs: number): number {
  const key = window === 'fiveHour' ? 'fiveHourNano' : 'weeklyNano';
  let sum = 0;
  for (const entry of entries) if (entry.atMs > nowMs - windowMs) sum += entry[key];
  return sum;
}

/**
 * The running form of windowSum for one caller: appends are O(1) and reading the sums only
 * walks the entries that aged out since the last read. Entries arrive in time order from one
 * clock; one from the past (a restart's load) is inserted in place and the sums recomputed.
 */
export class RollingConsumption {
  readonly #entries: ConsumptionEntry[] = [];
  /** First entry inside each window as of #asOfMs, and the sum from there to the end. */
  #start = { fiveHour: 0, weekly: 0 };
  #sum = { fiveHour: 0, weekly: 0 };
  #asOfMs = -Infinity;
  readonly #maxEntries: number;

  constructor(maxEntries = MAX_ENTRIES_PER_CALLER) {
    this.#maxEntries = Math.max(2, maxEntries);
  }

  get entries(): readonly ConsumptionEntry[] {
    return this.#entries;
  }

  add(entry: ConsumptionEntry): void {
    const last = this.#entries.at(-1);
    if (last !== undefined && entry.atMs < last.atMs) {
      const index = this.#entries.findIndex((existing) => existing.atMs > entry.atMs);
      this.#entries.splice(index, 0, entry);
      this.#recompute();
    } else {
      // The newest entry is inside both windows until a read says it aged out.
      this.#entries.push(entry);
      this.#sum.fiveHour += entry.fiveHourNano;
      this.#sum.weekly += entry.weeklyNano;
    }
    this.#bound();
  }

  /** Nano-points within each window at `nowMs`. */
  sums(nowMs: number): { fiveHour: number; weekly: number } {
    this.#advance(nowMs);
    return { ...this.#sum };
  }

  /** Entries that can no longer count in any window are dropped (called on reads and compaction). */
  prune(nowMs: number): void {
    this.#advance(nowMs);
    const dead = this.#start.weekly;
    if (dead === 0) return;
    this.#entries.splice(0, dead);
    this.#start = { fiveHour: Math.max(0, this.#start.fiveHour - dead), weekly: 0 };
  }

  #advance(nowMs: number): void {
    // A clock that went back: entries that aged out may count again, start over.
    if (nowMs < this.#asOfMs) {
      this.#asOfMs = nowMs;
      this.#recompute();
      return;
    }
    this.#asOfMs = nowMs;
    while (this.#start.fiveHour < this.#entries.length && (this.#entries[this.#start.fiveHour]?.atMs ?? 0) <= nowMs - FIVE_HOUR_MS) {
      this.#sum.fiveHour -= this.#entries[this.#start.fiveHour]?.fiveHourNano ?? 0;
      this.#start.fiveHour += 1;
    }
    while (this.#start.weekly < this.#entries.length && (this.#entries[this.#start.weekly]?.atMs ?? 0) <= nowMs - WEEK_MS) {
      this.#sum.weekly -= this.#entries[this.#start.weekly]?.weeklyNano ?? 0;
      this.#start.weekly += 1;
    }
  }

  #recompute(): void {
    const nowMs = this.#asOfMs;
    const firstAfter = (cutoff: number): number => {
      const index = this.#entries.findIndex((entry) => entry.atMs > cutoff);
      return index === -1 ? this.#entries.length : index;
    };
    this.#start = { fiveHour: firstAfter(nowMs - FIVE_HOUR_MS), weekly: firstAfter(nowMs - WEEK_MS) };
    this.#sum = { fiveHour: 0, weekly: 0 };
    for (const entry of this.#entries.slice(this.#start.fiveHour)) this.#sum.fiveHour += entry.fiveHourNano;
    for (const entry of this.#entries.slice(this.#start.weekly)) this.#sum.weekly += entry.weeklyNano;
  }

  /**
   * Past the bound the two oldest entries merge into one stamped with the later time: the sums
   * stay exact, and the merged amount ages out a little later, never earlier (a caller gains
   * nothing by flooding).
   */
  #bound(): void {
    if (this.#entries.length <= this.#maxEntries) return;
    const [first, second] = this.#entries;
    if (first === undefined || second === undefined) return;
    this.#entries.splice(0, 2, {
      atMs: second.atMs,
      fiveHourNano: first.fiveHourNano + second.fiveHourNano,
      weeklyNano: first.weeklyNano + second.weeklyNano,
    });
    this.#recompute();
  }
}
