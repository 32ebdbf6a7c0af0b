import { describe, expect, it } from 'vitest';
import { callerRefusal, callerUsage } from '../../../src/node/caller-limits.ts';
import type { Caller } from '../../../src/node/auth.ts';
import { RollingConsumption, type ConsumptionEntry, type ConsumptionStore } from '../../../src/pool/index.ts';
import { claudeProvider, codexProvider } from '../../../src/providers/index.ts';

const T0 = Date.UTC(2026, 10, 21, 12);
const FIVE_HOURS_MS = 5 * 3600_000;

function memoryStore(): ConsumptionStore {
  const rolling = new Map<string, RollingConsumption>();
  const of = (caller: string, provider: string): RollingConsumption => {
    const key = `${caller}\n${provider}`;
    const found = rolling.get(key) ?? new RollingConsumption();
    rolling.set(key, found);
    return found;
  };
  return {
    append: (caller, provider, entry: ConsumptionEntry) => of(caller, provider).add(entry),
    sums: (caller, provider, nowMs) => of(caller, provider).sums(nowMs),
    entries: (caller, provider) => of(caller, provider).entries,
    keys: () => [...rolling.keys()].map((key) => ({ caller: key.split('\n')[0] ?? '', provider: key.split('\n')[1] ?? '' })),
  };
}

const carol = (limits: Record<string, number> | undefined): Caller => ({
  kind: 'user',
  name: 'carol',
  user: { name: 'carol', token: 'x'.repeat(16), allow_external_usage: false, limits: limits && { queue_timeout_ms: 30_000, ...limits } },
});

describe('caller limits', () => {
  it('lets a caller without limits through whatever it used', () => {
    const store = memoryStore();
    store.append('user:carol', 'claude', { atMs: T0, fiveHourNano: 99e9, weeklyNano: 99e9 });
    expect(callerRefusal(store, carol(undefined), 'claude', T0)).toBeUndefined();
  });

  it('refuses at the limit with the time the oldest consumption ages out, naming the limit', () => {
    const store = memoryStore();
    store.append('user:carol', 'claude', { atMs: T0, fiveHourNano: 6e9, weeklyNano: 6e9 });
    store.append('user:carol', 'claude', { atMs: T0 + 60_000, fiveHourNano: 4e9, weeklyNano: 4e9 });
    const refusal = callerRefusal(store, carol({ five_hour_percent: 10 }), 'claude', T0 + 120_000);
    expect(refusal?.status).toBe(429);
    expect(refusal?.retryAfterSeconds).toBe((FIVE_HOURS_MS - 120_000) / 1000);
    expect(refusal?.message).toContain('five_hour_percent = 10');
    expect(callerRefusal(store, carol({ five_hour_percent: 10 }), 'codex', T0 + 120_000)).toBeUndefined();
  });

  it('speaks each provider’s rate-limit shape: Anthropic’s error type, Codex’s resets_at', () => {
    const store = memoryStore();
    store.append('user:carol', 'codex', { atMs: T0, fiveHourNano: 0, weeklyNano: 50e9 });
    const refusal = callerRefusal(store, carol({ weekly_percent: 50 }), 'codex', T0);
    if (refusal === undefined) throw new Error('expected a refusal');
    const codex = codexProvider.errorBody(refusal) as { error: Record<string, unknown> };
    expect(codex.error).toMatchObject({ type: 'usage_limit_reached', resets_at: (T0 + 7 * 24 * 3600_000) / 1000 });
    const claude = claudeProvider.errorBody(refusal, 'req_1') as { type: string; error: { type: string } };
    expect(claude).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('refuses a limit of 0 at once, a window ahead', () => {
    const refusal = callerRefusal(memoryStore(), carol({ five_hour_percent: 0 }), 'claude', T0);
    expect(refusal?.retryAfterSeconds).toBe(FIVE_HOURS_MS / 1000);
  });

  it('shows the caller its own numbers and limits', () => {
    const store = memoryStore();
    store.append('user:carol', 'claude', { atMs: T0, fiveHourNano: 1_234_567_891, weeklyNano: 2e9 });
    expect(callerUsage(store, carol({ weekly_percent: 30 }), 'claude', T0)).toEqual({
      my_five_hour_percent: 1.2346,
      my_weekly_percent: 2,
      my_limits: { weekly_percent: 30, queue_timeout_ms: 30_000 },
      my_retry_at: 0,
    });
  });
});
