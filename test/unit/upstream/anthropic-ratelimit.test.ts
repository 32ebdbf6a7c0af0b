import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUnifiedHeader, parseUnifiedHeaders } from '../../../src/providers/index.ts';
import { PLAN_WEIGHT_HEADER } from '../../../src/upstream/index.ts';

const NOW = 1_795_300_000;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;
const U = 'anthropic-ratelimit-unified-';

/** Shapes of real responses, times moved next to NOW. */
const realAllowed = {
  [`${U}status`]: 'allowed',
  [`${U}5h-status`]: 'allowed',
  [`${U}5h-reset`]: String(NOW + 2 * HOUR),
  [`${U}5h-utilization`]: '0.44',
  [`${U}7d-status`]: 'allowed',
  [`${U}7d-reset`]: String(NOW + 3 * DAY),
  [`${U}7d-utilization`]: '0.12',
  [`${U}representative-claim`]: 'five_hour',
  [`${U}reset`]: String(NOW + 2 * HOUR),
  [`${U}fallback-percentage`]: '0.5',
  [`${U}overage-status`]: 'rejected',
  [`${U}overage-disabled-reason`]: 'org_level_disabled',
  'anthropic-organization-id': '00000000-0000-0000-0000-000000000000',
  'request-id': 'req_011CTest',
};

describe('parseUnifiedHeaders', () => {
  it.each([
    {
      name: 'a real 200 with both windows',
      headers: realAllowed,
      expected: {
        fiveHour: { utilization: 44, resetAt: NOW + 2 * HOUR },
        weekly: { utilization: 12, resetAt: NOW + 3 * DAY },
        status: 'allowed',
        representativeClaim: 'five_hour',
        resetAt: NOW + 2 * HOUR,
      },
    },
    {
      name: 'a real 429 at exhaustion',
      headers: {
        [`${U}status`]: 'rejected',
        [`${U}5h-status`]: 'rejected',
        [`${U}5h-utilization`]: '1.0',
        [`${U}5h-reset`]: String(NOW + 40 * MINUTE),
        [`${U}representative-claim`]: 'five_hour',
        [`${U}reset`]: String(NOW + 40 * MINUTE),
        'retry-after': '2400',
      },
      expected: {
        fiveHour: { utilization: 100, resetAt: NOW + 40 * MINUTE },
        status: 'rejected',
        representativeClaim: 'five_hour',
        resetAt: NOW + 40 * MINUTE,
        retryAfterSeconds: 2400,
      },
    },
    {
      name: 'a warning with its surpassed threshold',
      headers: {
        [`${U}status`]: 'allowed_warning',
        [`${U}7d-utilization`]: '0.81',
        [`${U}7d-surpassed-threshold`]: '0.75',
        [`${U}representative-claim`]: 'seven_day',
      },
      expected: { weekly: { utilization: 81, resetAt: 0 }, status: 'allowed_warning', representativeClaim: 'seven_day' },
    },
    { name: 'legacy claim 5h', headers: { [`${U}representative-claim`]: '5h' }, expected: { representativeClaim: 'five_hour' } },
    { name: 'legacy claim 7d', headers: { [`${U}representative-claim`]: '7D' }, expected: { representativeClaim: 'seven_day' } },
    {
      name: 'other claims pass through',
      headers: { [`${U}representative-claim`]: 'seven_day_opus' },
      expected: { representativeClaim: 'seven_day_opus' },
    },
    { name: 'a 429 with only retry-after', headers: { 'retry-after': '30' }, expected: { retryAfterSeconds: 30 } },
    {
      name: 'retry-after as an HTTP-date',
      headers: { 'retry-after': new Date((NOW + 90) * 1000).toUTCString() },
      expected: { retryAfterSeconds: 90 },
    },
    {
      name: 'retry-after in the past is 0',
      headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:00 GMT' },
      expected: { retryAfterSeconds: 0 },
    },
    { name: 'fractional retry-after rounds up', headers: { 'retry-after': '1.2' }, expected: { retryAfterSeconds: 2 } },
    { name: 'a peer plan weight', headers: { [PLAN_WEIGHT_HEADER]: '15' }, expected: { planWeight: 15 } },
    {
      name: 'mixed-case names and array values',
      headers: { 'Anthropic-RateLimit-Unified-5h-Utilization': ['0.5', '0.9'], [`${U}STATUS`]: ' Allowed ' },
      expected: { fiveHour: { utilization: 50, resetAt: 0 }, status: 'allowed' },
    },
    {
      name: 'a fraction slightly over 1 is clamped',
      headers: { [`${U}5h-utilization`]: '1.02' },
      expected: { fiveHour: { utilization: 100, resetAt: 0 } },
    },
    {
      name: 'six decimals survive without float noise',
      headers: { [`${U}5h-utilization`]: '0.123457' },
      expected: { fiveHour: { utilization: 12.3457, resetAt: 0 } },
    },
  ])('$name', ({ headers, expected }) => {
    expect(parseUnifiedHeaders(headers, NOW)).toEqual(expected);
  });

  it('reads a fetch Headers object', () => {
    const headers = new Headers(realAllowed);
    expect(parseUnifiedHeaders(headers, NOW)?.fiveHour).toEqual({ utilization: 44, resetAt: NOW + 2 * HOUR });
  });

  it.each([
    { name: 'no headers', headers: {} },
    { name: 'only unrelated headers', headers: { 'content-type': 'application/json', 'request-id': 'req_1' } },
    { name: 'undefined values', headers: { [`${U}status`]: undefined, 'retry-after': undefined } },
    { name: 'empty values', headers: { [`${U}5h-utilization`]: '', [`${U}status`]: '', 'retry-after': ' ' } },
  ])('is undefined for $name', ({ headers }) => {
    expect(parseUnifiedHeaders(headers, NOW)).toBeUndefined();
  });

  it.each([
    ['utilization', `${U}5h-utilization`, 'abc'],
    ['utilization', `${U}5h-utilization`, 'NaN'],
    ['utilization', `${U}5h-utilization`, 'Infinity'],
    ['utilization', `${U}5h-utilization`, '-0.1'],
    ['utilization', `${U}5h-utilization`, '0x10'],
    ['utilization', `${U}5h-utilization`, '44'],
    ['utilization', `${U}7d-utilization`, '0.5.5'],
    ['reset', `${U}reset`, 'tomorrow'],
    ['reset', `${U}reset`, String(NOW * 1000)],
    ['reset', `${U}reset`, '3600'],
    ['reset', `${U}reset`, '-1795300000'],
    ['status', `${U}status`, 'maybe'],
    ['claim', `${U}representative-claim`, 'five hour; drop table'],
    ['retry-after', 'retry-after', '-5'],
    ['retry-after', 'retry-after', 'soon'],
    ['retry-after', 'retry-after', '99999999999'],
    ['plan weight', PLAN_WEIGHT_HEADER, '0'],
    ['plan weight', PLAN_WEIGHT_HEADER, '-3'],
  ])('skips a garbage %s (%s: %s)', (_kind, name, value) => {
    expect(parseUnifiedHeaders({ [name]: value }, NOW)).toBeUndefined();
  });

  it('keeps the window when only its reset is garbage', () => {
    const parsed = parseUnifiedHeaders({ [`${U}5h-utilization`]: '0.3', [`${U}5h-reset`]: 'x' }, NOW);
    expect(parsed?.fiveHour).toEqual({ utilization: 30, resetAt: 0 });
  });

  it('never throws and only returns plausible values, whatever the headers say', () => {
    const names = [
      `${U}5h-utilization`,
      `${U}7d-utilization`,
      `${U}5h-reset`,
      `${U}7d-reset`,
      `${U}status`,
      `${U}representative-claim`,
      `${U}reset`,
      'retry-after',
      PLAN_WEIGHT_HEADER,
    ];
    const value = fc.oneof(
      fc.string(),
      fc.double().map(String),
      fc.integer({ min: NOW - 2 * 366 * DAY, max: NOW + 2 * 366 * DAY }).map(String),
      fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    const headers = fc.dictionary(fc.constantFrom(...names), value);
    fc.assert(
      fc.property(headers, (input) => {
        const parsed = parseUnifiedHeaders(input, NOW);
        for (const window of [parsed?.fiveHour, parsed?.weekly]) {
          if (!window) continue;
          expect(window.utilization).toBeGreaterThanOrEqual(0);
          expect(window.utilization).toBeLessThanOrEqual(100);
          expect(window.resetAt === 0 || Math.abs(window.resetAt - NOW) <= 400 * DAY).toBe(true);
        }
        if (parsed?.retryAfterSeconds !== undefined) {
          expect(Number.isInteger(parsed.retryAfterSeconds) && parsed.retryAfterSeconds >= 0).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('isUnifiedHeader', () => {
  it.each([
    [`${U}overage-status`, true],
    ['Anthropic-Ratelimit-Unified-Fallback', true],
    [`${U}7d_sonnet-utilization`, true],
    ['anthropic-ratelimit-requests-limit', false],
    ['retry-after', false],
    [PLAN_WEIGHT_HEADER, false],
  ])('%s → %s', (name, expected) => {
    expect(isUnifiedHeader(name)).toBe(expected);
  });
});
