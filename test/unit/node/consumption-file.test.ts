import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsumptionFile } from '../../../src/node/consumption-file.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const WEEK_MS = 7 * 24 * 3600_000;
const logger = pino({ level: 'silent' });

describe('consumption file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-consumption-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what was appended, after a restart', async () => {
    const first = new ConsumptionFile(dir, logger, ['user:alice'], () => T0);
    await first.load();
    first.append('user:alice', 'claude', { atMs: T0, fiveHourNano: 5, weeklyNano: 7 });
    await first.close();
    const second = new ConsumptionFile(dir, logger, ['user:alice'], () => T0 + 1);
    await second.load();
    expect(second.sums('user:alice', 'claude', T0 + 1)).toEqual({ fiveHour: 5, weekly: 7 });
    await second.close();
  });

  it('skips torn and hostile lines, callers no longer configured, and entries older than a week', async () => {
    const path = join(dir, 'consumption.jsonl');
    const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
    writeFileSync(
      path,
      line({ t: T0, c: 'user:alice', p: 'claude', f: 1, w: 1 }) +
        line({ t: T0, c: 'user:gone', p: 'claude', f: 100, w: 100 }) +
        line({ t: T0 - WEEK_MS, c: 'user:alice', p: 'claude', f: 100, w: 100 }) +
        line({ t: T0, c: 'user:alice', p: 'claude', f: -5, w: 1e300 }) +
        line({ t: 'soon', c: 'user:alice', p: 'claude', f: 1, w: 1 }) +
        '{"t": 1, "c": "user:alice", "p": "cla',
    );
    const store = new ConsumptionFile(dir, logger, ['user:alice'], () => T0);
    await store.load();
    expect(store.sums('user:alice', 'claude', T0)).toEqual({ fiveHour: 1, weekly: 1 });
    await store.close();
    // Loading compacts: only the live entry is left.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('compacts when the file holds far more lines than live entries', async () => {
    let nowMs = T0;
    const store = new ConsumptionFile(dir, logger, ['user:alice'], () => nowMs);
    await store.load();
    for (let index = 0; index < 10_005; index += 1) store.append('user:alice', 'claude', { atMs: nowMs, fiveHourNano: 1, weeklyNano: 1 });
    nowMs += WEEK_MS;
    for (let index = 0; index < 10_010; index += 1) store.append('user:alice', 'claude', { atMs: nowMs, fiveHourNano: 1, weeklyNano: 1 });
    await store.close();
    const lines = readFileSync(join(dir, 'consumption.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThan(20_015);
    const reloaded = new ConsumptionFile(dir, logger, ['user:alice'], () => nowMs);
    await reloaded.load();
    expect(reloaded.sums('user:alice', 'claude', nowMs).weekly).toBe(10_010);
    await reloaded.close();
  });

  it('ignores callers that are not in the config', async () => {
    const store = new ConsumptionFile(dir, logger, ['user:alice'], () => T0);
    await store.load();
    store.append('user:mallory', 'claude', { atMs: T0, fiveHourNano: 1, weeklyNano: 1 });
    expect(store.keys()).toEqual([]);
    await store.close();
  });
});
