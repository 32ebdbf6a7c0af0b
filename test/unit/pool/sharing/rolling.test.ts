import { describe, expect, it } from 'vitest';
import { FIVE_HOUR_MS, RollingConsumption, retryAtMs, WEEK_MS, windowSum, type ConsumptionEntry } from '../../../../src/pool/index.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const entry = (atMs: number, fiveHourNano: number, weeklyNano = fiveHourNano): ConsumptionEntry => ({ atMs, fiveHourNano, weeklyNano });

describe('rolling consumption', () => {
  it('sums exactly what lies inside each window as time passes', () => {
    const rolling = new RollingConsumption();
    rolling.add(entry(T0, 3));
    rolling.add(entry(T0 + 3600_000, 5));
    rolling.add(entry(T0 + 6 * 3600_000, 7));
    expect(rolling.sums(T0 + 5 * 3600_000)).toEqual({ fiveHour: 12, weekly: 15 });
    // An entry counts while atMs > now − window: the one at T0 + 1 h leaves at T0 + 6 h exactly.
    expect(rolling.sums(T0 + 6 * 3600_000 - 1)).toEqual({ fiveHour: 12, weekly: 15 });
    expect(rolling.sums(T0 + 6 * 3600_000)).toEqual({ fiveHour: 7, weekly: 15 });
    expect(rolling.sums(T0 + WEEK_MS)).toEqual({ fiveHour: 0, weekly: 12 });
    for (const at of [T0, T0 + 5 * 3600_000, T0 + WEEK_MS + 3600_000]) {
      expect(rolling.sums(at)).toEqual({
        fiveHour: windowSum(rolling.entries, 'fiveHour', FIVE_HOUR_MS, at),
        weekly: windowSum(rolling.entries, 'weekly', WEEK_MS, at),
      });
    }
  });

  it('starts over when the clock goes back (later entries still count), and places an entry from the past in order', () => {
    const rolling = new RollingConsumption();
    rolling.add(entry(T0 + FIVE_HOUR_MS, 2));
    expect(rolling.sums(T0 + 2 * FIVE_HOUR_MS)).toEqual({ fiveHour: 0, weekly: 2 });
    rolling.add(entry(T0, 1));
    expect(rolling.entries.map((e) => e.atMs)).toEqual([T0, T0 + FIVE_HOUR_MS]);
    expect(rolling.sums(T0 + 1)).toEqual({ fiveHour: 3, weekly: 3 });
  });

  it('merges the oldest entries past its bound, keeping the sums and never ageing out early', () => {
    const rolling = new RollingConsumption(3);
    for (let index = 0; index < 4; index += 1) rolling.add(entry(T0 + index, 10));
    expect(rolling.entries).toHaveLength(3);
    expect(rolling.entries[0]).toEqual(entry(T0 + 1, 20));
    expect(rolling.sums(T0 + 4)).toEqual({ fiveHour: 40, weekly: 40 });
  });

  it('drops entries older than a week on prune', () => {
    const rolling = new RollingConsumption();
    rolling.add(entry(T0, 1));
    rolling.add(entry(T0 + WEEK_MS, 2));
    rolling.prune(T0 + WEEK_MS);
    expect(rolling.entries).toEqual([entry(T0 + WEEK_MS, 2)]);
  });
});

describe('retryAtMs', () => {
  const entries = [entry(T0, 3e9), entry(T0 + 60_000, 3e9), entry(T0 + 120_000, 3e9), entry(T0 + 180_000, 3e9)];

  it('is when enough of the oldest consumption ages out to go below the limit', () => {
    expect(retryAtMs(entries, 'fiveHour', FIVE_HOUR_MS, 10e9, T0 + 240_000)).toBe(T0 + FIVE_HOUR_MS);
    expect(retryAtMs(entries, 'fiveHour', FIVE_HOUR_MS, 5e9, T0 + 240_000)).toBe(T0 + 120_000 + FIVE_HOUR_MS);
  });

  it('is undefined while under the limit', () => {
    expect(retryAtMs(entries, 'fiveHour', FIVE_HOUR_MS, 13e9, T0 + 240_000)).toBeUndefined();
    expect(retryAtMs(entries, 'fiveHour', FIVE_HOUR_MS, 10e9, T0 + FIVE_HOUR_MS)).toBeUndefined();
  });
});
