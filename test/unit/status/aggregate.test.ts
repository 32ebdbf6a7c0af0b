import { describe, expect, it } from 'vitest';
import { aggregateProvider } from '../../../src/status/aggregate.ts';
import type { CredentialSnapshot, ProviderStatus } from '../../../src/status/usage.ts';
import { credentialSnapshot } from '../../helpers/snapshot.ts';

const NOW = 1_795_300_000;
const HOUR = 3600;

const snapshot = credentialSnapshot;

const window = (utilization: number, resetAt = 0) => ({ utilization, resetAt });

interface Case {
  name: string;
  snapshots: CredentialSnapshot[];
  expected: Partial<ProviderStatus>;
}

const cases: Case[] = [
  {
    name: 'single credential reports its own numbers',
    snapshots: [
      snapshot({
        fiveHour: window(12, NOW + 2 * HOUR),
        weekly: window(40, NOW + 100 * HOUR),
        planWeight: 10,
      }),
    ],
    expected: {
      five_hour_utilization: 12,
      five_hour_reset: NOW + 2 * HOUR,
      weekly_utilization: 40,
      weekly_reset: NOW + 100 * HOUR,
      plan_weight: 10,
      state: 'usable',
      retry_at: 0,
    },
  },
  {
    name: 'two credentials are weighted by plan',
    snapshots: [
      snapshot({ tag: 'a', planWeight: 10, fiveHour: window(20, NOW + HOUR), weekly: window(40) }),
      snapshot({ tag: 'b', planWeight: 5, fiveHour: window(50, NOW + 2 * HOUR), weekly: window(10) }),
    ],
    // remaining (80·10 + 50·5)/15 = 70; resets (1h·10 + 2h·5)/15 = 80 min.
    expected: {
      five_hour_utilization: 30,
      weekly_utilization: 30,
      five_hour_reset: NOW + 4800,
      weekly_reset: 0,
      plan_weight: 15,
    },
  },
  {
    name: 'a fresh default credential with reserve 1 (cap 99) reports 1%',
    snapshots: [snapshot({ cap5h: 99, capWeekly: 99 })],
    expected: { five_hour_utilization: 1, weekly_utilization: 1, plan_weight: 1 },
  },
  {
    name: 'a credential over its cap contributes no remaining capacity',
    snapshots: [snapshot({ tag: 'capped', cap5h: 99, fiveHour: window(99.5) }), snapshot({ tag: 'free', fiveHour: window(0) })],
    expected: { five_hour_utilization: 50, plan_weight: 2 },
  },
  {
    name: 'no data at all reads as no capacity',
    snapshots: [snapshot({ hasData: false }), snapshot({ tag: 'b', hasData: false })],
    expected: {
      five_hour_utilization: 100,
      weekly_utilization: 100,
      five_hour_reset: 0,
      weekly_reset: 0,
      plan_weight: 0,
      state: 'usable',
    },
  },
  {
    name: 'credentials without data do not dilute those with data',
    snapshots: [snapshot({ fiveHour: window(60), planWeight: 5 }), snapshot({ tag: 'b', hasData: false })],
    expected: { five_hour_utilization: 60, plan_weight: 5 },
  },
  {
    name: 'non-zero numbers count as data even without the flag',
    snapshots: [snapshot({ hasData: false, weekly: window(30, NOW + HOUR) })],
    expected: { weekly_utilization: 30, plan_weight: 1 },
  },
  {
    name: 'zero-weight credentials carry no capacity',
    snapshots: [snapshot({ planWeight: 0, fiveHour: window(10) })],
    expected: { five_hour_utilization: 100, weekly_utilization: 100, plan_weight: 0 },
  },
  {
    name: 'a passed reset makes the window fully available (reset-aware)',
    snapshots: [snapshot({ fiveHour: window(100, NOW - 1), weekly: window(80, NOW) })],
    expected: { five_hour_utilization: 0, five_hour_reset: 0, weekly_utilization: 0, weekly_reset: 0 },
  },
  {
    name: 'passed resets are ignored in the reset average, not clamped to now',
    snapshots: [
      snapshot({ tag: 'old', fiveHour: window(100, NOW - HOUR) }),
      snapshot({ tag: 'new', fiveHour: window(40, NOW + 3 * HOUR) }),
    ],
    expected: { five_hour_utilization: 20, five_hour_reset: NOW + 3 * HOUR },
  },
  {
    name: 'a rate-limited credential keeps contributing its last snapshot',
    snapshots: [snapshot({ state: 'rate_limited', retryAt: NOW + HOUR, fiveHour: window(100, NOW + HOUR), weekly: window(30) })],
    expected: {
      five_hour_utilization: 100,
      weekly_utilization: 30,
      plan_weight: 1,
      state: 'rate_limited',
      retry_at: NOW + HOUR,
    },
  },
  {
    name: 'an unavailable credential contributes neither weight nor capacity, even with data',
    snapshots: [snapshot({ state: 'unavailable', planWeight: 10, fiveHour: window(25) })],
    expected: { five_hour_utilization: 100, plan_weight: 0, state: 'unavailable', retry_at: 0 },
  },
  {
    name: 'capacity that nobody can reach is not counted next to a usable credential',
    snapshots: [
      snapshot({ tag: 'up', planWeight: 10, fiveHour: window(50), weekly: window(50) }),
      snapshot({ tag: 'down', state: 'unavailable', planWeight: 10, fiveHour: window(0), weekly: window(0) }),
    ],
    expected: { five_hour_utilization: 50, weekly_utilization: 50, plan_weight: 10, state: 'usable' },
  },
  {
    name: 'a weight of 1e308 is held to the bound, so sums stay finite',
    snapshots: [
      snapshot({ tag: 'liar', planWeight: 1e308, fiveHour: window(0), weekly: window(0) }),
      snapshot({ tag: 'liar2', planWeight: 1e308, fiveHour: window(0), weekly: window(0) }),
      snapshot({ tag: 'own', planWeight: 10, fiveHour: window(50), weekly: window(50) }),
    ],
    expected: { five_hour_utilization: 0, plan_weight: 2_000_010, state: 'usable' },
  },
  {
    name: 'non-finite and absurd numbers never reach the payload',
    snapshots: [
      snapshot({ tag: 'a', planWeight: Number.NaN, fiveHour: window(Number.NaN, Number.POSITIVE_INFINITY) }),
      snapshot({ tag: 'b', planWeight: Number.POSITIVE_INFINITY, fiveHour: window(10, 1e308), weekly: window(-5, 1e300) }),
      snapshot({ tag: 'c', state: 'rate_limited', retryAt: 1e308, planWeight: 1, fiveHour: window(200) }),
    ],
    expected: { five_hour_reset: 0, weekly_reset: 0, retry_at: 0 },
  },
  {
    name: 'usable wins over rate-limited',
    snapshots: [snapshot({ tag: 'a', state: 'rate_limited', retryAt: NOW + HOUR }), snapshot({ tag: 'b', state: 'usable' })],
    expected: { state: 'usable', retry_at: 0 },
  },
  {
    name: 'rate-limited wins over unavailable',
    snapshots: [snapshot({ tag: 'a', state: 'unavailable' }), snapshot({ tag: 'b', state: 'rate_limited', retryAt: NOW + 60 })],
    expected: { state: 'rate_limited', retry_at: NOW + 60 },
  },
  {
    name: 'retry_at is the earliest future retry among rate-limited credentials',
    snapshots: [
      snapshot({ tag: 'a', state: 'rate_limited', retryAt: NOW + 500 }),
      snapshot({ tag: 'b', state: 'rate_limited', retryAt: NOW + 100 }),
      snapshot({ tag: 'c', state: 'rate_limited', retryAt: NOW - 50 }),
      snapshot({ tag: 'd', state: 'rate_limited', retryAt: 0 }),
    ],
    expected: { state: 'rate_limited', retry_at: NOW + 100 },
  },
  {
    name: 'rate-limited with no known retry time reports retry_at 0',
    snapshots: [snapshot({ state: 'rate_limited', retryAt: 0 })],
    expected: { state: 'rate_limited', retry_at: 0 },
  },
  {
    name: 'no credentials at all is unavailable with no capacity',
    snapshots: [],
    expected: {
      five_hour_utilization: 100,
      weekly_utilization: 100,
      plan_weight: 0,
      state: 'unavailable',
      retry_at: 0,
    },
  },
  {
    name: 'utilizations are rounded to two decimals',
    snapshots: [
      snapshot({ tag: 'a', fiveHour: window(0) }),
      snapshot({ tag: 'b', fiveHour: window(0) }),
      snapshot({ tag: 'c', fiveHour: window(100) }),
    ],
    expected: { five_hour_utilization: 33.33 },
  },
  {
    name: 'the reset average is rounded to whole seconds',
    snapshots: [snapshot({ tag: 'a', weekly: window(10, NOW + 1) }), snapshot({ tag: 'b', weekly: window(10, NOW + 2) })],
    expected: { weekly_reset: NOW + 2 },
  },
];

describe('aggregateProvider', () => {
  it.each(cases)('$name', ({ snapshots, expected }) => {
    expect(aggregateProvider(snapshots, NOW)).toMatchObject(expected);
  });

  it('gives finite numbers for any snapshot values', () => {
    const garbage = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0, 1e308, Number.MAX_VALUE, 2 ** 53, 5e-324];
    for (const value of garbage) {
      const status = aggregateProvider(
        [
          snapshot({
            tag: 'x',
            planWeight: value,
            retryAt: value,
            state: 'rate_limited',
            fiveHour: window(value, value),
            weekly: window(value, value),
            cap5h: value,
          }),
          snapshot({ tag: 'y', planWeight: value, fiveHour: window(value, value), weekly: window(value, value) }),
        ],
        NOW,
      );
      for (const [key, number] of Object.entries(status)) {
        if (typeof number === 'number') expect(Number.isFinite(number), `${key} for ${value}`).toBe(true);
      }
      expect(JSON.stringify(status)).not.toContain('null');
    }
  });

  it('returns exactly the seven public keys', () => {
    expect(Object.keys(aggregateProvider([snapshot()], NOW)).sort()).toEqual([
      'five_hour_reset',
      'five_hour_utilization',
      'plan_weight',
      'retry_at',
      'state',
      'weekly_reset',
      'weekly_utilization',
    ]);
  });

  it('is stable: the same input at the same time gives the same JSON', () => {
    const input = [snapshot({ fiveHour: window(33.333333, NOW + 123) }), snapshot({ tag: 'b', planWeight: 0.1 })];
    expect(JSON.stringify(aggregateProvider(input, NOW))).toBe(JSON.stringify(aggregateProvider(input, NOW)));
  });
});

describe('model-scoped limits', () => {
  it('report the weight still serving each refused family and when the first block ends', () => {
    const status = aggregateProvider(
      [
        snapshot({ tag: 'a', planWeight: 5, modelLimits: [{ family: 'opus', until: NOW + 3 * HOUR }] }),
        snapshot({
          tag: 'b',
          planWeight: 1,
          modelLimits: [
            { family: 'opus', until: NOW + HOUR },
            { family: 'sonnet', until: NOW - 1 },
          ],
        }),
        snapshot({ tag: 'c', planWeight: 20 }),
        // A spent account serves no family at all: it is not counted as "blocked for opus".
        snapshot({ tag: 'd', planWeight: 20, state: 'rate_limited', modelLimits: [{ family: 'opus', until: NOW + HOUR }] }),
      ],
      NOW,
    );
    expect(status.model_limits).toEqual([
      { family: 'opus', state: 'usable', blocked_plan_weight: 6, available_plan_weight: 20, retry_at: NOW + HOUR },
    ]);
  });

  it('a family every usable account refuses is rate_limited while the provider stays usable', () => {
    const status = aggregateProvider(
      [
        snapshot({ tag: 'a', planWeight: 5, modelLimits: [{ family: 'opus', until: NOW + 3 * HOUR }] }),
        snapshot({ tag: 'b', planWeight: 1, modelLimits: [{ family: 'opus', until: NOW + 2 * HOUR }] }),
      ],
      NOW,
    );
    expect(status.state).toBe('usable');
    expect(status.model_limits).toEqual([
      { family: 'opus', state: 'rate_limited', blocked_plan_weight: 6, available_plan_weight: 0, retry_at: NOW + 2 * HOUR },
    ]);
  });

  it('no refused family, no key: the payload peers and old clients know is unchanged', () => {
    expect(aggregateProvider([snapshot({ planWeight: 1 })], NOW)).not.toHaveProperty('model_limits');
  });
});
