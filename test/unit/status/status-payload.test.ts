import { describe, expect, it } from 'vitest';
import { publicProviderStatus, stableStringify, statusEquals, statusKey } from '../../../src/status/status-payload.ts';
import type { NodeStatus, ProviderStatus } from '../../../src/status/usage.ts';

const claude: ProviderStatus = {
  five_hour_utilization: 23.5,
  five_hour_reset: 1_795_310_000,
  weekly_utilization: 41,
  weekly_reset: 1_795_800_000,
  plan_weight: 15,
  state: 'usable',
  retry_at: 0,
};

const node = (time: number, provider: ProviderStatus = claude): NodeStatus => ({
  node: 'hub',
  time,
  providers: { claude: provider },
});

describe('statusEquals', () => {
  it.each([
    { name: 'only time differs', a: node(1), b: node(2), equal: true },
    {
      name: 'key order differs',
      a: node(1),
      b: { providers: { claude: { ...claude } }, time: 1, node: 'hub' } satisfies NodeStatus,
      equal: true,
    },
    { name: 'a utilization differs', a: node(1), b: node(1, { ...claude, weekly_utilization: 41.01 }), equal: false },
    { name: 'state differs', a: node(1), b: node(1, { ...claude, state: 'rate_limited' }), equal: false },
    { name: 'provider objects (no time) equal', a: claude, b: { ...claude }, equal: true },
    { name: 'credentials rows added', a: claude, b: { ...claude, credentials: [] }, equal: false },
  ])('$name → $equal', ({ a, b, equal }) => {
    expect(statusEquals(a, b)).toBe(equal);
  });

  it('keeps nested time fields and array order significant', () => {
    expect(stableStringify({ b: [2, 1], a: { time: 1 } })).toBe('{"a":{"time":1},"b":[2,1]}');
  });

  it('leaves time out of the key', () => {
    expect(statusKey(node(123))).not.toContain('123');
  });
});

describe('publicProviderStatus', () => {
  it('drops the admin-only credentials rows', () => {
    const withRows: ProviderStatus = { ...claude, credentials: [] };
    expect(publicProviderStatus(withRows)).toEqual(claude);
    expect('credentials' in publicProviderStatus(withRows)).toBe(false);
  });
});
