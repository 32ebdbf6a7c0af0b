/**
 * The node side of attribution with a scripted credential: a response's own rise goes to its
 * request; a rise seen otherwise (a poll) is shared by tokens among the requests finished since
 * the previous reading; points are of the caller's route.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Attribution } from '../../../src/node/attribution.ts';
import type { Caller } from '../../../src/node/auth.ts';
import { ProviderPool, RollingConsumption, type ConsumptionStore } from '../../../src/pool/index.ts';
import { ScriptedCredential } from '../../helpers/scripted-credential.ts';

const NOW = Date.UTC(2026, 10, 21, 12);
const RESET = Math.floor(NOW / 1000) + 3600;

function memoryStore(): ConsumptionStore & { total(caller: string): number } {
  const rolling = new Map<string, RollingConsumption>();
  const of = (caller: string): RollingConsumption => {
    const found = rolling.get(caller) ?? new RollingConsumption();
    rolling.set(caller, found);
    return found;
  };
  return {
    append: (caller, _provider, entry) => of(caller).add(entry),
    sums: (caller, _provider, nowMs) => of(caller).sums(nowMs),
    entries: (caller) => of(caller).entries,
    keys: () => [...rolling.keys()].map((caller) => ({ caller, provider: 'claude' })),
    total: (caller) => of(caller).sums(NOW).fiveHour / 1e9,
  };
}

const user = (name: string): Caller => ({ kind: 'user', name, user: { name, token: 'x'.repeat(16), allow_external_usage: false } });

function setup() {
  const resets = { utilization: 10, fiveHourReset: RESET, weeklyReset: RESET + 86_400 };
  const big = new ScriptedCredential('big', resets);
  const small = new ScriptedCredential('small', resets);
  const pool = new ProviderPool(
    'claude',
    [big, small],
    [{ tag: 'pool', members: ['big', 'small'], strategy: 'least-used', rebalanceThreshold: 0 }],
  );
  const store = memoryStore();
  const attribution = new Attribution(store, pino({ level: 'silent' }));
  const settle = (caller: Caller, credential: ScriptedCredential, claim: ReturnType<Attribution['claim']> | undefined, tokens: number) =>
    attribution.settle(
      {
        caller,
        provider: 'claude',
        pool,
        access: { routeTag: 'pool', allowExternal: false },
        credential,
        claim,
        usage: { input_tokens: tokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        cacheReadWeight: 0.1,
      },
      NOW,
    );
  return { big, store, attribution, settle };
}

describe('Attribution', () => {
  it("charges a response's own rise to its request, in points of the route (weight 10 of 20)", () => {
    const { big, attribution, settle } = setup();
    attribution.before('claude', big, NOW);
    big.use(14);
    const claim = attribution.claim('claude', big, NOW);
    expect(settle(user('alice'), big, claim, 100)).toEqual({ points5h: 2, pointsWeekly: 2 });
  });

  it('shares a rise seen otherwise among the requests finished since, by tokens', () => {
    const { big, store, attribution, settle } = setup();
    attribution.before('claude', big, NOW);
    const first = attribution.claim('claude', big, NOW);
    const second = attribution.claim('claude', big, NOW);
    settle(user('alice'), big, first, 300);
    // A poll learns of 4 % more before bob's request is recorded: 2 points, split 300 : 100.
    big.use(14);
    const points = settle(user('bob'), big, second, 100);
    expect(points.points5h).toBeCloseTo(0.5, 9);
    expect(store.total('user:alice')).toBeCloseTo(1.5, 9);
    expect(store.total('user:bob')).toBeCloseTo(0.5, 9);
  });

  it('charges nobody for a request without an answer, and zero-token requests share evenly', () => {
    const { big, store, attribution, settle } = setup();
    attribution.before('claude', big, NOW);
    settle(user('alice'), big, undefined, 0);
    big.use(11);
    settle(user('bob'), big, undefined, 0);
    expect(store.total('user:alice')).toBeCloseTo(0.25, 9);
    expect(store.total('user:bob')).toBeCloseTo(0.25, 9);
  });
});
