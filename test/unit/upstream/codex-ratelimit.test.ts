import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codexRefusal,
  isCodexAccountHeader,
  parseCodexErrorReset,
  parseCodexHeaders,
  parseCodexRateLimitsEvent,
  renderCodexHeaders,
} from '../../../src/providers/index.ts';
import type { ProviderStatus } from '../../../src/status/index.ts';

const NOW = 1_795_300_000;
const HOUR = 3600;
const DAY = 24 * HOUR;

/** Headers shaped like real captures, times moved next to NOW. */
function windowHeaders(slot: string, used: string, minutes: string, resetAt: string, family = 'codex'): Record<string, string> {
  return {
    [`x-${family}-${slot}-used-percent`]: used,
    [`x-${family}-${slot}-window-minutes`]: minutes,
    [`x-${family}-${slot}-reset-at`]: resetAt,
  };
}

describe('parseCodexHeaders', () => {
  it.each([
    {
      name: 'primary 5 h + secondary weekly',
      headers: {
        ...windowHeaders('primary', '12.5', '300', String(NOW + 2 * HOUR)),
        ...windowHeaders('secondary', '40', '10080', String(NOW + 3 * DAY)),
      },
      expected: { fiveHour: { utilization: 12.5, resetAt: NOW + 2 * HOUR }, weekly: { utilization: 40, resetAt: NOW + 3 * DAY } },
    },
    {
      name: 'weekly-only plan: primary is 10080 minutes, secondary all zero',
      headers: { ...windowHeaders('primary', '7', '10080', String(NOW + 5 * DAY)), ...windowHeaders('secondary', '0', '0', '0') },
      expected: { weekly: { utilization: 7, resetAt: NOW + 5 * DAY } },
    },
    {
      name: 'swapped slots are read by their length',
      headers: {
        ...windowHeaders('primary', '40', '10080', String(NOW + 3 * DAY)),
        ...windowHeaders('secondary', '12', '300', String(NOW + HOUR)),
      },
      expected: { fiveHour: { utilization: 12, resetAt: NOW + HOUR }, weekly: { utilization: 40, resetAt: NOW + 3 * DAY } },
    },
    {
      name: 'no window minutes: the slot decides',
      headers: { 'x-codex-primary-used-percent': '3', 'x-codex-secondary-used-percent': '9' },
      expected: { fiveHour: { utilization: 3, resetAt: 0 }, weekly: { utilization: 9, resetAt: 0 } },
    },
    {
      name: 'reset-after-seconds when reset-at is missing',
      headers: {
        'x-codex-primary-used-percent': '50',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-after-seconds': '600',
      },
      expected: { fiveHour: { utilization: 50, resetAt: NOW + 600 } },
    },
    {
      name: 'the active family when there is no codex family',
      headers: {
        'x-codex-active-limit': 'codex_bengalfox',
        ...windowHeaders('primary', '61', '300', String(NOW + HOUR), 'codex-bengalfox'),
      },
      expected: { fiveHour: { utilization: 61, resetAt: NOW + HOUR } },
    },
    {
      name: 'plan, plan weight, retry-after and a reached limit',
      headers: {
        'x-codex-plan-type': 'Pro',
        'x-quotamesh-plan-weight': '15',
        'retry-after': '30',
        'x-codex-rate-limit-reached-type': 'rate_limit_reached',
      },
      expected: { planType: 'pro', planWeight: 15, retryAfterSeconds: 30, limitReachedType: 'rate_limit_reached' },
    },
    { name: 'nothing relevant', headers: { 'content-type': 'text/event-stream' }, expected: undefined },
    {
      name: 'garbage values',
      headers: { 'x-codex-primary-used-percent': 'lots', 'x-codex-plan-type': '💥', 'retry-after': 'soon' },
      expected: undefined,
    },
  ])('$name', ({ headers, expected }) => {
    expect(parseCodexHeaders(headers, NOW)).toEqual(expected);
  });

  it('reads a Headers object and array values alike', () => {
    const fromFetch = new Headers(windowHeaders('primary', '5', '300', String(NOW + HOUR)));
    expect(parseCodexHeaders(fromFetch, NOW)?.fiveHour).toEqual({ utilization: 5, resetAt: NOW + HOUR });
    expect(parseCodexHeaders({ 'x-codex-primary-used-percent': ['6', '7'] }, NOW)?.fiveHour?.utilization).toBe(6);
  });

  it('never throws and keeps percents in 0–100 on arbitrary input', () => {
    const names = ['used-percent', 'window-minutes', 'reset-at', 'reset-after-seconds'].flatMap((suffix) => [
      `x-codex-primary-${suffix}`,
      `x-codex-secondary-${suffix}`,
    ]);
    const value = fc.oneof(fc.string(), fc.double().map(String), fc.integer().map(String), fc.array(fc.string(), { maxLength: 2 }));
    const headers = fc.dictionary(fc.constantFrom(...names, 'x-codex-active-limit', 'x-codex-plan-type', 'retry-after'), value);
    fc.assert(
      fc.property(headers, (input) => {
        const parsed = parseCodexHeaders(input, NOW);
        for (const window of [parsed?.fiveHour, parsed?.weekly]) {
          if (window === undefined) continue;
          expect(window.utilization).toBeGreaterThanOrEqual(0);
          expect(window.utilization).toBeLessThanOrEqual(100);
          expect(Number.isInteger(window.resetAt)).toBe(true);
        }
      }),
    );
  });
});

describe('parseCodexRateLimitsEvent', () => {
  it.each([
    {
      name: 'both windows',
      event: {
        type: 'codex.rate_limits',
        plan_type: 'plus',
        rate_limits: {
          primary: { used_percent: 20, window_minutes: 300, reset_at: NOW + HOUR },
          secondary: { used_percent: 30, window_minutes: 10080, reset_at: NOW + DAY },
        },
        credits: { has_credits: false },
        metered_limit_name: 'codex',
      },
      expected: { fiveHour: { utilization: 20, resetAt: NOW + HOUR }, weekly: { utilization: 30, resetAt: NOW + DAY }, planType: 'plus' },
    },
    {
      name: 'weekly-only: primary weekly, secondary null',
      event: {
        type: 'codex.rate_limits',
        rate_limits: { primary: { used_percent: 4, window_minutes: 10080, reset_at: NOW + DAY }, secondary: null },
      },
      expected: { weekly: { utilization: 4, resetAt: NOW + DAY } },
    },
    { name: 'another event type', event: { type: 'response.completed' }, expected: undefined },
    { name: 'not an object', event: 'codex.rate_limits', expected: undefined },
    { name: 'garbage windows', event: { type: 'codex.rate_limits', rate_limits: { primary: 'x', secondary: [1] } }, expected: undefined },
  ])('$name', ({ event, expected }) => {
    expect(parseCodexRateLimitsEvent(event, NOW)).toEqual(expected);
  });
});

describe('429 reset', () => {
  it.each([
    {
      name: 'resets_at',
      body: { error: { type: 'usage_limit_reached', resets_at: NOW + 900, resets_in_seconds: 5 } },
      expected: NOW + 900,
    },
    { name: 'resets_in_seconds only', body: { error: { resets_in_seconds: 120 } }, expected: NOW + 120 },
    { name: 'WebSocket error event', body: { type: 'error', status: 429, error: { resets_at: NOW + 60 } }, expected: NOW + 60 },
    { name: 'past resets_at falls back to resets_in', body: { error: { resets_at: NOW - 10, resets_in_seconds: 30 } }, expected: NOW + 30 },
    { name: 'no reset', body: { error: { type: 'usage_limit_reached' } }, expected: undefined },
  ])('$name', ({ body, expected }) => {
    expect(parseCodexErrorReset(JSON.stringify(body), NOW)).toBe(expected);
  });

  it('ignores bodies that are not JSON', () => {
    expect(parseCodexErrorReset('<html>', NOW)).toBeUndefined();
    expect(parseCodexErrorReset(undefined, NOW)).toBeUndefined();
  });

  it('uses the spent weekly window, not the primary 5 h reset (sing-box used the primary)', () => {
    const limits = { fiveHour: { utilization: 30, resetAt: NOW + HOUR }, weekly: { utilization: 100, resetAt: NOW + 3 * DAY } };
    expect(codexRefusal(limits, undefined, NOW)).toEqual({ isRejected: true, resetAt: NOW + 3 * DAY });
  });

  it('prefers the body over the windows, and says nothing when nothing is spent', () => {
    const limits = { weekly: { utilization: 100, resetAt: NOW + 3 * DAY }, retryAfterSeconds: 9 };
    expect(codexRefusal(limits, JSON.stringify({ error: { resets_at: NOW + 50 } }), NOW)).toEqual({
      isRejected: true,
      resetAt: NOW + 50,
      retryAfterSeconds: 9,
    });
    expect(codexRefusal({ fiveHour: { utilization: 10, resetAt: NOW + HOUR } }, undefined, NOW)).toEqual({ isRejected: false });
  });
});

describe('renderCodexHeaders', () => {
  const aggregate: ProviderStatus = {
    five_hour_utilization: 23.456,
    five_hour_reset: NOW + 2 * HOUR,
    weekly_utilization: 41,
    weekly_reset: NOW + 4 * DAY,
    plan_weight: 11,
    state: 'usable',
    retry_at: 0,
  };

  it('renders 5 h as primary and weekly as secondary with their lengths', () => {
    expect(renderCodexHeaders(aggregate, NOW)).toEqual({
      'x-codex-primary-used-percent': '23.46',
      'x-codex-primary-window-minutes': '300',
      'x-codex-primary-reset-at': String(NOW + 2 * HOUR),
      'x-codex-primary-reset-after-seconds': String(2 * HOUR),
      'x-codex-secondary-used-percent': '41.00',
      'x-codex-secondary-window-minutes': '10080',
      'x-codex-secondary-reset-at': String(NOW + 4 * DAY),
      'x-codex-secondary-reset-after-seconds': String(4 * DAY),
      'x-quotamesh-plan-weight': '11',
    });
  });

  it('round-trips through the parser (what a peer reads from us)', () => {
    expect(parseCodexHeaders(renderCodexHeaders(aggregate, NOW), NOW)).toEqual({
      fiveHour: { utilization: 23.46, resetAt: NOW + 2 * HOUR },
      weekly: { utilization: 41, resetAt: NOW + 4 * DAY },
      planWeight: 11,
    });
  });

  it('leaves unknown resets and a zero weight out', () => {
    const headers = renderCodexHeaders({ ...aggregate, five_hour_reset: 0, weekly_reset: 0, plan_weight: 0 }, NOW);
    expect(Object.keys(headers).sort()).toEqual([
      'x-codex-primary-used-percent',
      'x-codex-primary-window-minutes',
      'x-codex-secondary-used-percent',
      'x-codex-secondary-window-minutes',
    ]);
  });
});

describe('isCodexAccountHeader', () => {
  it.each([
    ['x-codex-primary-used-percent', true],
    ['X-Codex-Secondary-Reset-At', true],
    ['x-codex-primary-over-secondary-limit-percent', true],
    ['x-codex-bengalfox-primary-window-minutes', true],
    ['x-codex-secondary-limit-name', true],
    ['x-codex-bengalfox-limit-name', true],
    ['x-codex-active-limit', true],
    ['x-codex-credits-has-credits', true],
    ['x-codex-credits-balance', true],
    ['x-codex-plan-type', true],
    ['x-codex-rate-limit-reached-type', true],
    ['x-codex-promo-message', true],
    ['x-quotamesh-plan-weight', true],
    ['x-codex-turn-state', false],
    ['x-request-id', false],
    ['openai-model', false],
    ['content-type', false],
  ])('%s → %s', (name, expected) => {
    expect(isCodexAccountHeader(name)).toBe(expected);
  });
});
