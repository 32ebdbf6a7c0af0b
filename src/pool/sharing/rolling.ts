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
 * Entries live in one array from `#head` on: dropping or merging the oldest moves the head
 * instead of shifting the array, which is compacted now and then.
 */
export class RollingConsumption {
  #entries: ConsumptionEntry[] = [];
  #head = 0;
  /** First entry inside each window (absolute index) as of #asOfMs, and the sum from there to the end. */
  #start = { fiveHour: 0, weekly: 0 };
  #sum = { fiveHour: 0, weekly: 0 };
  #asOfMs = -Infinity;
  readonly #maxEntries: number;

  constructor(maxEntries = MAX_ENTRIES_PER_CALLER) {
    this.#maxEntries = Math.max(2, maxEntries);
  }

  /** Oldest first (a copy). */
  get entries(): readonly ConsumptionEntry[] {
    return this.#entries.slice(this.#head);
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  add(entry: ConsumptionEntry): void {
    const last = this.#entries.at(-1);
    if (this.size > 0 && last !== undefined && entry.atMs < last.atMs) {
      const live = this.#entries.slice(this.#head);
      const index = live.findIndex((existing) => existing.atMs > entry.atMs);
      live.splice(index, 0, entry);
      this.#entries = live;
      this.#head = 0;
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

  /** Entries that can no longer count in any window are dropped. */
  prune(nowMs: number): void {
    this.#advance(nowMs);
    this.#head = Math.max(this.#head, this.#start.weekly);
    this.#compactArray();
  }

  #advance(nowMs: number): void {
    // A clock that went back: entries that aged out may count again, start over.
    if (nowMs < this.#asOfMs) {
      this.#asOfMs = nowMs;
      this.#recompute();
      return;
    }
    this.#asOfMs = nowMs;
    for (const window of ['fiveHour', 'weekly'] as const) {
      const cutoff = nowMs - (window === 'fiveHour' ? FIVE_HOUR_MS : WEEK_MS);
      const key = window === 'fiveHour' ? 'fiveHourNano' : 'weeklyNano';
      let start = Math.max(this.#start[window], this.#head);
      while (start < this.#entries.length && (this.#entries[start]?.atMs ?? 0) <= cutoff) {
        this.#sum[window] -= this.#entries[start]?.[key] ?? 0;
        start += 1;
      }
      this.#start[window] = start;
    }
  }

  #recompute(): void {
    for (const window of ['fiveHour', 'weekly'] as const) {
      const cutoff = this.#asOfMs - (window === 'fiveHour' ? FIVE_HOUR_MS : WEEK_MS);
      const key = window === 'fiveHour' ? 'fiveHourNano' : 'weeklyNano';
      let start = this.#head;
      while (start < this.#entries.length && (this.#entries[start]?.atMs ?? 0) <= cutoff) start += 1;
      let sum = 0;
      for (let index = start; index < this.#entries.length; index += 1) sum += this.#entries[index]?.[key] ?? 0;
      this.#start[window] = start;
      this.#sum[window] = sum;
    }
  }

  /**
   * Past the bound the two oldest entries merge into one stamped with the later time: the sums
   * stay exact, and the merged amount ages out a little later, never earlier (a caller gains
   * nothing by flooding). O(1): the merged entry is inside a window exactly when the second was.
   */
  #bound(): void {
    if (this.size <= this.#maxEntries) return;
    const first = this.#entries[this.#head];
    const second = this.#entries[this.#head + 1];
    if (first === undefined || second === undefined) return;
    const firstIndex = this.#head;
    this.#entries[firstIndex + 1] = {
      atMs: second.atMs,
      fiveHourNano: first.fiveHourNano + second.fiveHourNano,
      weeklyNano: first.weeklyNano + second.weeklyNano,
    };
    this.#head += 1;
    for (const window of ['fiveHour', 'weekly'] as const) {
      // Only the first had aged out of this window: the merged entry brings its amount back in.
      if (this.#start[window] === firstIndex + 1) this.#sum[window] += window === 'fiveHour' ? first.fiveHourNano : first.weeklyNano;
      this.#start[window] = Math.max(this.#start[window], this.#head);
    }
    this.#compactArray();
  }

  /** Drops the array's dead front once it is most of the array. */
  #compactArray(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#entries.length) return;
    this.#entries = this.#entries.slice(this.#head);
    this.#start = { fiveHour: Math.max(0, this.#start.fiveHour - this.#head), weekly: Math.max(0, this.#start.weekly - this.#head) };
    this.#head = 0;
  }
}
