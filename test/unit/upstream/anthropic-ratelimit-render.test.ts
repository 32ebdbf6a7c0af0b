import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUnifiedHeader, parseUnifiedHeaders, renderUnifiedHeaders } from '../../../src/providers/index.ts';
import { PLAN_WEIGHT_HEADER } from '../../../src/upstream/index.ts';
import type { ProviderStatus } from '../../../src/status/usage.ts';

const NOW = 1_795_300_000;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;
const U = 'anthropic-ratelimit-unified-';

function aggregate(overrides: Partial<ProviderStatus> = {}): ProviderStatus {
  return {
    five_hour_utilization: 0,
    five_hour_reset: 0,
    weekly_utilization: 0,
    weekly_reset: 0,
    plan_weight: 0,
    state: 'usable',
    retry_at: 0,
    ...overrides,
  };
}

describe('renderUnifiedHeaders', () => {
  it('renders the status example as fractions with six decimals', () => {
    const headers = renderUnifiedHeaders(
      aggregate({
        five_hour_utilization: 23.5,
        five_hour_reset: NOW + 4 * HOUR,
        weekly_utilization: 41,
        weekly_reset: NOW + 5 * DAY,
        plan_weight: 15,
      }),
      NOW,
    );
    expect(headers).toEqual({
      [`${U}5h-utilization`]: '0.235000',
      [`${U}5h-reset`]: String(NOW + 4 * HOUR),
      [`${U}5h-status`]: 'allowed',
      [`${U}7d-utilization`]: '0.410000',
      [`${U}7d-reset`]: String(NOW + 5 * DAY),
      [`${U}7d-status`]: 'allowed',
      [`${U}status`]: 'allowed',
      [`${U}representative-claim`]: 'seven_day',
      [`${U}reset`]: String(NOW + 5 * DAY),
      [PLAN_WEIGHT_HEADER]: '15',
    });
  });

  it.each([
    {
      name: '5h at 92% early in the window (200 min left) warns on five_hour',
      input: { five_hour_utilization: 92, five_hour_reset: NOW + 200 * MINUTE, weekly_utilization: 10, weekly_reset: NOW + 3 * DAY },
      status: 'allowed_warning',
      claim: 'five_hour',
      reset: NOW + 200 * MINUTE,
      surpassed5h: '0.9',
      surpassed7d: undefined,
    },
    {
      name: '5h at 92% late in the window (80 min left) is on pace and does not warn',
      input: { five_hour_utilization: 92, five_hour_reset: NOW + 80 * MINUTE, weekly_utilization: 10, weekly_reset: NOW + 3 * DAY },
      status: 'allowed',
      claim: 'five_hour',
      reset: NOW + 80 * MINUTE,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: '5h at 90% with exactly 72% of the window gone still warns (the bound is inclusive)',
      input: { five_hour_utilization: 90, five_hour_reset: NOW + 5040 },
      status: 'allowed_warning',
      claim: 'five_hour',
      reset: NOW + 5040,
      surpassed5h: '0.9',
      surpassed7d: undefined,
    },
    {
      name: '5h at 90% one second past 72% of the window does not warn',
      input: { five_hour_utilization: 90, five_hour_reset: NOW + 5039 },
      status: 'allowed',
      claim: 'five_hour',
      reset: NOW + 5039,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'weekly at 80% after 3 of 7 days warns at the 0.75 threshold',
      input: { weekly_utilization: 80, weekly_reset: NOW + 4 * DAY },
      status: 'allowed_warning',
      claim: 'seven_day',
      reset: NOW + 4 * DAY,
      surpassed5h: undefined,
      surpassed7d: '0.75',
    },
    {
      name: 'weekly at 55% after 2 of 7 days warns at the 0.5 threshold',
      input: { weekly_utilization: 55, weekly_reset: NOW + 5 * DAY },
      status: 'allowed_warning',
      claim: 'seven_day',
      reset: NOW + 5 * DAY,
      surpassed5h: undefined,
      surpassed7d: '0.5',
    },
    {
      name: 'weekly at 30% after 1 of 7 days warns at the 0.25 threshold',
      input: { weekly_utilization: 30, weekly_reset: NOW + 6 * DAY },
      status: 'allowed_warning',
      claim: 'seven_day',
      reset: NOW + 6 * DAY,
      surpassed5h: undefined,
      surpassed7d: '0.25',
    },
    {
      name: 'weekly at 60% after 4 of 7 days is on pace and does not warn',
      input: { five_hour_utilization: 70, five_hour_reset: NOW + HOUR, weekly_utilization: 60, weekly_reset: NOW + 3 * DAY },
      status: 'allowed',
      claim: 'five_hour',
      reset: NOW + HOUR,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'weekly at 80% after 5 of 7 days is on pace and does not warn',
      input: { weekly_utilization: 80, weekly_reset: NOW + 2 * DAY },
      status: 'allowed',
      claim: 'seven_day',
      reset: NOW + 2 * DAY,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'a reset further away than the window (clock skew) counts as the start: warns',
      input: { five_hour_utilization: 95, five_hour_reset: NOW + 6 * HOUR },
      status: 'allowed_warning',
      claim: 'five_hour',
      reset: NOW + 6 * HOUR,
      surpassed5h: '0.9',
      surpassed7d: undefined,
    },
    {
      name: 'a warning without a known reset is impossible to time, so none',
      input: { five_hour_utilization: 95, weekly_utilization: 90 },
      status: 'allowed',
      claim: 'five_hour',
      reset: undefined,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'an exhausted window is rejected and outranks a warning',
      input: { five_hour_utilization: 92, five_hour_reset: NOW + 4 * HOUR, weekly_utilization: 100, weekly_reset: NOW + DAY },
      status: 'rejected',
      claim: 'seven_day',
      reset: NOW + DAY,
      surpassed5h: '0.9',
      surpassed7d: '0.75',
    },
    {
      name: 'a rate-limited pool is rejected even below 100%, reset falls back to retry_at',
      input: { five_hour_utilization: 40, weekly_utilization: 20, state: 'rate_limited' as const, retry_at: NOW + 600 },
      status: 'rejected',
      claim: 'five_hour',
      reset: NOW + 600,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'equal utilization prefers the window with a known reset',
      input: { five_hour_utilization: 20, weekly_utilization: 20, weekly_reset: NOW + 6 * DAY + 12 * HOUR },
      status: 'allowed',
      claim: 'seven_day',
      reset: NOW + 6 * DAY + 12 * HOUR,
      surpassed5h: undefined,
      surpassed7d: undefined,
    },
    {
      name: 'no data (100/100) is rejected on five_hour',
      input: { five_hour_utilization: 100, weekly_utilization: 100, state: 'unavailable' as const },
      status: 'rejected',
      claim: 'five_hour',
      reset: undefined,
      surpassed5h: '0.9',
      surpassed7d: '0.75',
    },
  ])('$name', ({ input, status, claim, reset, surpassed5h, surpassed7d }) => {
    const headers = renderUnifiedHeaders(aggregate(input), NOW);
    expect(headers[`${U}status`]).toBe(status);
    expect(headers[`${U}representative-claim`]).toBe(claim);
    expect(headers[`${U}reset`]).toBe(reset === undefined ? undefined : String(reset));
    expect(headers[`${U}5h-surpassed-threshold`]).toBe(surpassed5h);
    expect(headers[`${U}7d-surpassed-threshold`]).toBe(surpassed7d);
  });

  it.each([
    { weight: 0, expected: undefined },
    { weight: 2.5, expected: '2.5' },
    { weight: 0.1 + 0.2, expected: '0.30000000000000004' },
  ])('plan weight $weight → $expected', ({ weight, expected }) => {
    expect(renderUnifiedHeaders(aggregate({ plan_weight: weight }), NOW)[PLAN_WEIGHT_HEADER]).toBe(expected);
  });

  it('emits only headers the proxy knows to replace', () => {
    const headers = renderUnifiedHeaders(aggregate({ plan_weight: 1, weekly_utilization: 100 }), NOW);
    for (const name of Object.keys(headers)) {
      expect(isUnifiedHeader(name) || name === PLAN_WEIGHT_HEADER).toBe(true);
    }
  });

  it('round-trips: parse(render(x)) ≈ x', () => {
    const reset = fc.oneof(fc.constant(0), fc.integer({ min: NOW + 1, max: NOW + 8 * DAY }));
    const status = fc.record({
      five_hour_utilization: fc.double({ min: 0, max: 100, noNaN: true }),
      five_hour_reset: reset,
      weekly_utilization: fc.double({ min: 0, max: 100, noNaN: true }),
      weekly_reset: reset,
      plan_weight: fc.double({ min: 0, max: 1000, noNaN: true }),
      state: fc.constantFrom('usable' as const, 'rate_limited' as const, 'unavailable' as const),
      retry_at: fc.constant(0),
    });
    fc.assert(
      fc.property(status, (input) => {
        const parsed = parseUnifiedHeaders(renderUnifiedHeaders(input, NOW), NOW);
        expect(parsed?.fiveHour?.utilization).toBeCloseTo(input.five_hour_utilization, 3);
        expect(parsed?.weekly?.utilization).toBeCloseTo(input.weekly_utilization, 3);
        expect(parsed?.fiveHour?.resetAt).toBe(input.five_hour_reset);
        expect(parsed?.weekly?.resetAt).toBe(input.weekly_reset);
        expect(parsed?.planWeight).toBe(input.plan_weight > 0 ? input.plan_weight : undefined);
        expect(['five_hour', 'seven_day']).toContain(parsed?.representativeClaim);
        if (input.state === 'rate_limited') expect(parsed?.status).toBe('rejected');
      }),
      { numRuns: 300 },
    );
  });
});
