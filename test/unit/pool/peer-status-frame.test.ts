import { describe, expect, it } from 'vitest';
import { parseStatusFrame } from '../../../src/pool/peer-status-stream.ts';

const GOOD = {
  five_hour_utilization: 12.5,
  five_hour_reset: 1_795_310_000,
  weekly_utilization: 40,
  weekly_reset: 1_795_800_000,
  plan_weight: 15,
  state: 'usable',
  retry_at: 0,
};

describe('parseStatusFrame', () => {
  it('reads a well-formed frame', () => {
    expect(parseStatusFrame(GOOD)).toEqual({
      fiveHourUtilization: 12.5,
      fiveHourReset: 1_795_310_000,
      weeklyUtilization: 40,
      weeklyReset: 1_795_800_000,
      planWeight: 15,
      state: 'usable',
      retryAt: 0,
    });
  });

  it('takes a large but possible weight as it is (the credential holds it to max_plan_weight)', () => {
    expect(parseStatusFrame({ ...GOOD, plan_weight: 1_000_000 })?.planWeight).toBe(1_000_000);
  });

  it.each([
    ['plan_weight', 1e308],
    ['plan_weight', 1_000_001],
    ['plan_weight', -1],
    ['plan_weight', '10'],
    ['five_hour_utilization', 100.5],
    ['weekly_utilization', -0.1],
    ['five_hour_reset', 1e308],
    ['weekly_reset', -5],
    ['retry_at', 2 ** 33],
    ['plan_weight', null],
  ])('refuses the frame when %s is %s', (key, value) => {
    expect(parseStatusFrame({ ...GOOD, [key]: value })).toBeUndefined();
  });

  it('reads an overflowing JSON number (1e999 parses as Infinity) as a refusal', () => {
    expect(parseStatusFrame(JSON.parse(JSON.stringify(GOOD).replace('"plan_weight":15', '"plan_weight":1e999')))).toBeUndefined();
  });

  it('refuses a frame without a required key, and takes missing optional times as unknown', () => {
    const { plan_weight: _weight, ...withoutWeight } = GOOD;
    expect(parseStatusFrame(withoutWeight)).toBeUndefined();
    const { retry_at: _retry, five_hour_reset: _reset, ...withoutTimes } = GOOD;
    expect(parseStatusFrame(withoutTimes)).toMatchObject({ retryAt: 0, fiveHourReset: 0 });
    expect(parseStatusFrame({ ...GOOD, weekly_reset: null })).toMatchObject({ weeklyReset: 0 });
  });
});
