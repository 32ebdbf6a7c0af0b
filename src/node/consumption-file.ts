/**
 * `state_dir/consumption.jsonl`: every attribution (issue 15), one line each, so the rolling
 * sums survive a restart. Lines are appended with one synchronous write on an O_APPEND descriptor
 * (as the ledger does); the file is rewritten with only the entries still inside the week
 * whenever it holds more than twice that many lines (and at start), by atomic replace. Only
 * callers of the current config are loaded, so the memory is bounded by the config: callers ×
 * providers × MAX_ENTRIES_PER_CALLER.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../lib/index.ts';
import { RollingConsumption, WEEK_MS, writeFileAtomic, type ConsumptionEntry, type ConsumptionStore } from '../pool/index.ts';

/** Lines in the file beyond which a compaction is worth it even when most are live. */
const COMPACT_SLACK_LINES = 10_000;

interface Line {
  t: number;
  c: string;
  p: string;
  f: number;
  w: number;
}

export class ConsumptionFile implements ConsumptionStore {
  readonly path: string;
  readonly #logger: Logger;
  readonly #knownCallers: ReadonlySet<string>;
  readonly #byKey = new Map<string, { caller: string; provider: string; rolling: RollingConsumption }>();
  #fd: number | undefined;
  #failing = false;
  #isClosed = false;
  #lines = 0;
  /** Set while the file is being rewritten: appends wait here and follow the new file. */
  #pending: string[] | undefined;
  #compacting: Promise<void> = Promise.resolve();
  readonly #now: () => number;

  constructor(stateDir: string, logger: Logger, knownCallers: Iterable<string>, now: () => number) {
    this.path = join(stateDir, 'consumption.jsonl');
    this.#logger = logger;
    this.#knownCallers = new Set(knownCallers);
    this.#now = now;
  }

  /** Reads the file (a missing or partly corrupt one is what it is: lines that parse count). */
  async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#logger.warn({ path: this.path, err: errorMessage(error) }, 'ignoring unreadable consumption file');
    }
    const nowMs = this.#now();
    for (const raw of text.split('\n')) {
      const line = parseLine(raw);
      if (line === undefined || !this.#knownCallers.has(line.c) || line.t <= nowMs - WEEK_MS) continue;
      this.#rolling(line.c, line.p).add({ atMs: line.t, fiveHourNano: line.f, weeklyNano: line.w });
    }
    await this.#compact();
  }

  append(caller: string, provider: string, entry: ConsumptionEntry): void {
    if (!this.#knownCallers.has(caller)) return;
    const rolling = this.#rolling(caller, provider);
    rolling.add(entry);
    // Entries past the week go as new ones come, so memory and the compaction count stay honest.
    rolling.prune(entry.atMs);
    const text = `${JSON.stringify({ t: entry.atMs, c: caller, p: provider, f: entry.fiveHourNano, w: entry.weeklyNano } satisfies Line)}\n`;
    if (this.#pending !== undefined) {
      this.#pending.push(text);
      return;
    }
    this.#write(text);
    if (this.#lines > 2 * this.#liveEntries() + COMPACT_SLACK_LINES) void this.#compact();
  }

  sums(caller: string, provider: string, nowMs: number): { fiveHour: number; weekly: number } {
    return this.#byKey.get(key(caller, provider))?.rolling.sums(nowMs) ?? { fiveHour: 0, weekly: 0 };
  }

  entries(caller: string, provider: string): readonly ConsumptionEntry[] {
    return this.#byKey.get(key(caller, provider))?.rolling.entries ?? [];
  }

  keys(): Array<{ caller: string; provider: string }> {
    return [...this.#byKey.values()].map(({ caller, provider }) => ({ caller, provider }));
  }

  async close(): Promise<void> {
    await this.#compacting;
    this.#isClosed = true;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #rolling(caller: string, provider: string): RollingConsumption {
    const id = key(caller, provider);
    let found = this.#byKey.get(id);
    if (found === undefined) {
      found = { caller, provider, rolling: new RollingConsumption() };
      this.#byKey.set(id, found);
    }
    return found.rolling;
  }

  #liveEntries(): number {
    let count = 0;
    for (const { rolling } of this.#byKey.values()) count += rolling.size;
    return count;
  }

  #write(text: string): void {
    // A request cut at shutdown still counts in memory; the file is closed for good.
    if (this.#isClosed) return;
    try {
      if (this.#fd === undefined) {
        mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
        this.#fd = openSync(this.path, 'a', 0o600);
      }
      writeSync(this.#fd, text);
      this.#lines += 1;
      this.#failing = false;
    } catch (error) {
      if (!this.#failing)
        this.#logger.error(
          { path: this.path, err: errorMessage(error) },
          'cannot write the consumption file; limits still apply in memory',
        );
      this.#failing = true;
    }
  }

  /** Rewrites the file with the live entries only; appends meanwhile are queued, then follow. */
  #compact(): Promise<void> {
    if (this.#pending !== undefined) return this.#compacting;
    this.#pending = [];
    const nowMs = this.#now();
    const lines: string[] = [];
    for (const { caller, provider, rolling } of this.#byKey.values()) {
      rolling.prune(nowMs);
      for (const entry of rolling.entries)
        lines.push(JSON.stringify({ t: entry.atMs, c: caller, p: provider, f: entry.fiveHourNano, w: entry.weeklyNano } satisfies Line));
    }
    this.#compacting = (async () => {
      try {
        mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
        await writeFileAtomic(this.path, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
        if (this.#fd !== undefined) closeSync(this.#fd);
        this.#fd = undefined;
        this.#lines = lines.length;
      } catch (error) {
        this.#logger.warn({ path: this.path, err: errorMessage(error) }, 'cannot compact the consumption file');
      }
      const queued = this.#pending ?? [];
      this.#pending = undefined;
      for (const text of queued) this.#write(text);
    })();
    return this.#compacting;
  }
}

function key(caller: string, provider: string): string {
  return `${caller}\n${provider}`;
}

/** Tolerant: a torn last line or a hand edit is skipped, never fatal. */
function parseLine(raw: string): Line | undefined {
  if (raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const line = value as Record<string, unknown>;
  const isAmount = (amount: unknown): amount is number => Number.isSafeInteger(amount) && (amount as number) >= 0;
  if (!Number.isSafeInteger(line['t']) || typeof line['c'] !== 'string' || typeof line['p'] !== 'string') return undefined;
  if (!isAmount(line['f']) || !isAmount(line['w'])) return undefined;
  return { t: line['t'] as number, c: line['c'], p: line['p'], f: line['f'], w: line['w'] };
}
