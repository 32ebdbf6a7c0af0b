import { describe, expect, it } from 'vitest';
import { exhaustedError } from '../../../src/node/exhausted.ts';
import type { CredentialSnapshot } from '../../../src/status/index.ts';
import { credentialSnapshot } from '../../helpers/snapshot.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
const NOW = NOW_MS / 1000;

function snapshot(tag: string, fields: Partial<CredentialSnapshot>): CredentialSnapshot {
  return credentialSnapshot({
    tag,
    fiveHour: { utilization: 10, resetAt: NOW + 3600 },
    weekly: { utilization: 10, resetAt: NOW + 86_400 },
    planWeight: 10,
    cap5h: 99,
    capWeekly: 99,
    ...fields,
  });
}

describe('exhaustedError', () => {
  it.each([
    [
      'every credential rate-limited → 429 with the earliest retry',
      [snapshot('a', { state: 'rate_limited', retryAt: NOW + 600 }), snapshot('b', { state: 'rate_limited', retryAt: NOW + 120 })],
      429,
      120,
    ],
    [
      'one briefly unreachable (error bench) → 503, retry when it is back',
      [snapshot('a', { state: 'rate_limited', retryAt: NOW + 600 }), snapshot('b', { state: 'unavailable', retryAt: NOW + 4 })],
      503,
      4,
    ],
    ['a missing credential file → 503, retry in 30 s', [snapshot('a', { state: 'unavailable' })], 503, 30],
    ['usable but capped → 503 naming the cap', [snapshot('a', { weekly: { utilization: 99, resetAt: 0 } })], 503, 30],
  ])('%s', (_name, snapshots, status, retryAfter) => {
    const error = exhaustedError(snapshots, NOW_MS, undefined);
    expect(error.status).toBe(status);
    expect(error.retryAfterSeconds).toBe(retryAfter);
  });

  it('says what is wrong with each credential without naming files', () => {
    const error = exhaustedError(
      [snapshot('a', { state: 'unavailable', retryAt: NOW + 4 }), snapshot('b', { weekly: { utilization: 99, resetAt: 0 } })],
      NOW_MS,
      undefined,
    );
    expect(error.message).toBe('no usable credential (a: unreachable for 4s; b: weekly usage at its cap of 99%)');
  });

  it('is a 403 when the route has nothing the caller may use', () => {
    expect(exhaustedError([], NOW_MS, undefined).status).toBe(403);
  });
});
