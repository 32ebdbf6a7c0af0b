import { describe, expect, it } from 'vitest';
import { credentialRows, effectiveWindow } from '../../../src/status/aggregate.ts';
import { credentialSnapshot } from '../../helpers/snapshot.ts';

const NOW = 1_795_300_000;
const HOUR = 3600;

const snapshot = credentialSnapshot;

const window = (utilization: number, resetAt = 0) => ({ utilization, resetAt });

describe('effectiveWindow', () => {
  it.each([
    { name: 'future reset kept', input: window(70, NOW + 1), expected: window(70, NOW + 1) },
    { name: 'unknown reset kept', input: window(70, 0), expected: window(70, 0) },
    { name: 'reset at now is passed', input: window(70, NOW), expected: window(0, 0) },
    { name: 'past reset is fully available', input: window(100, NOW - 10), expected: window(0, 0) },
  ])('$name', ({ input, expected }) => {
    expect(effectiveWindow(input, NOW)).toEqual(expected);
  });
});

describe('credentialRows', () => {
  const limited = snapshot({
    tag: 'peer-hub',
    type: 'external',
    state: 'rate_limited',
    retryAt: NOW + 90,
    fiveHour: window(100, NOW - 5),
    weekly: window(12.3456, NOW + HOUR),
    planWeight: 15,
    peer: 'hub',
  });

  it('shows the last values seen when no time is given', () => {
    expect(credentialRows([limited])).toEqual([
      {
        tag: 'peer-hub',
        type: 'external',
        state: 'rate_limited',
        five_hour_utilization: 100,
        weekly_utilization: 12.35,
        plan_weight: 15,
        five_hour_reset: NOW - 5,
        weekly_reset: NOW + HOUR,
        retry_at: NOW + 90,
        peer: 'hub',
      },
    ]);
  });

  it('shows windows reset-aware when given the time, like the aggregate', () => {
    expect(credentialRows([limited], NOW)[0]).toMatchObject({ five_hour_utilization: 0, five_hour_reset: 0 });
  });

  it('reports retry_at only for rate-limited credentials', () => {
    expect(credentialRows([snapshot({ retryAt: NOW + 90 })])[0]?.retry_at).toBe(0);
  });
});
