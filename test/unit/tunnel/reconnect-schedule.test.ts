import { describe, expect, it } from 'vitest';
import { ReconnectSchedule, type ReconnectCause } from '../../../src/tunnel/reconnect-schedule.ts';

const failed: ReconnectCause = { kind: 'dial_failed' };
const lost = (livedMs: number): ReconnectCause => ({ kind: 'tunnel_lost', livedMs });

function delays(random: number, causes: ReconnectCause[]): number[] {
  const schedule = new ReconnectSchedule({ random: () => random });
  return causes.map((cause) => schedule.delayAfter(cause));
}

describe('reconnect schedule', () => {
  it('doubles from 1 s to 30 s without jitter at random 0', () => {
    expect(delays(0, Array(8).fill(failed))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('adds up to 50 % jitter', () => {
    expect(delays(0.999, [failed, failed, failed])).toEqual([1_500, 2_999, 5_998]);
  });

  it('keeps counting across short tunnels and resets after one that lived 60 s', () => {
    expect(delays(0, [failed, lost(59_999), lost(1_000), lost(60_000), failed])).toEqual([1_000, 2_000, 4_000, 1_000, 2_000]);
  });

  it('waits the slowest rate after a refused authorization, and stays slow', () => {
    expect(delays(0, [{ kind: 'unauthorized' }, failed])).toEqual([30_000, 30_000]);
    expect(delays(0.999, [{ kind: 'unauthorized' }])).toEqual([44_985]);
  });

  it('honours a Retry-After longer than the backoff, capped at the maximum', () => {
    expect(
      delays(0, [
        { kind: 'dial_failed', retryAfterMs: 12_000 },
        { kind: 'dial_failed', retryAfterMs: 600_000 },
      ]),
    ).toEqual([12_000, 30_000]);
  });
});
