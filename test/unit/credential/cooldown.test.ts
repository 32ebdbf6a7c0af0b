import { describe, expect, it } from 'vitest';
import {
  cooldownAfterError,
  cooldownAfterRateLimit,
  cooldownAfterSuccess,
  cooldownEndedEarly,
  isCoolingDown,
  NO_COOLDOWN,
  parseCooldown,
  type Cooldown,
} from '../../../src/pool/index.ts';

const NOW = 1_800_000_000_000;

function repeat(times: number, step: (previous: Cooldown) => Cooldown): number[] {
  const delays: number[] = [];
  let cooldown = NO_COOLDOWN;
  for (let index = 0; index < times; index += 1) {
    cooldown = step(cooldown);
    delays.push(cooldown.untilMs - NOW);
  }
  return delays;
}

describe('cooldown', () => {
  it('backs header-less 429s off from 1 s doubling to 30 min', () => {
    const delays = repeat(14, (previous) => cooldownAfterRateLimit(previous, {}, NOW));
    expect(delays.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(delays.at(-1)).toBe(30 * 60_000);
  });

  it.each([
    ['a reset', { resetAtMs: NOW + 3_600_000 }, NOW + 3_600_000],
    ['Retry-After', { retryAfterMs: 90_000 }, NOW + 90_000],
    ['a reset over Retry-After', { resetAtMs: NOW + 10_000, retryAfterMs: 90_000 }, NOW + 10_000],
    ['Retry-After when the reset is stale', { resetAtMs: NOW - 1000, retryAfterMs: 5000 }, NOW + 5000],
    ['a clamped absurd reset', { resetAtMs: NOW + 18 * 86_400_000 }, NOW + 8 * 86_400_000],
  ])('benches until %s', (_name, hint, until) => {
    expect(cooldownAfterRateLimit(NO_COOLDOWN, hint, NOW)).toMatchObject({ untilMs: until, strikes: 0, cause: 'rate_limit' });
  });

  it('benches errors for seconds, growing modestly to 30 s', () => {
    expect(repeat(6, (previous) => cooldownAfterError(previous, NOW))).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('never shortens a longer rate-limit bench on an error', () => {
    const limited = cooldownAfterRateLimit(NO_COOLDOWN, { resetAtMs: NOW + 3_600_000 }, NOW);
    expect(cooldownAfterError(limited, NOW)).toMatchObject({ untilMs: NOW + 3_600_000, cause: 'rate_limit', errorStrikes: 1 });
  });

  it('ends on success with all strikes forgiven; ends early on a poll keeping strikes', () => {
    const limited = cooldownAfterRateLimit(cooldownAfterRateLimit(NO_COOLDOWN, {}, NOW), {}, NOW);
    expect(cooldownAfterSuccess(limited)).toEqual(NO_COOLDOWN);
    const early = cooldownEndedEarly(limited);
    expect(isCoolingDown(early, NOW)).toBe(false);
    expect(early.strikes).toBe(2);
  });

  it('parses saved cooldowns tolerantly', () => {
    expect(parseCooldown({ untilMs: NOW + 5000, strikes: 3, errorStrikes: 1, cause: 'rate_limit' }, NOW)).toEqual({
      untilMs: NOW + 5000,
      strikes: 3,
      errorStrikes: 1,
      cause: 'rate_limit',
    });
    expect(parseCooldown({ untilMs: NOW + 1e12, cause: 'rate_limit' }, NOW).untilMs).toBe(NOW + 8 * 86_400_000);
    for (const garbage of [
      null,
      'x',
      { untilMs: 'soon', cause: 'rate_limit' },
      { untilMs: NOW + 5000 },
      { untilMs: -5, cause: 'upstream_error' },
    ]) {
      expect(isCoolingDown(parseCooldown(garbage, NOW), NOW)).toBe(false);
    }
  });
});
