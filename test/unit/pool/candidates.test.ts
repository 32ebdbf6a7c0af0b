/**
 * ProviderPool.candidates: the credentials one request may try, in order (as undici's
 * BalancedPool hands out upstreams). Table-driven on the exact sequence.
 */
import { describe, expect, it } from 'vitest';
import { ProviderPool, type Strategy } from '../../../src/pool/index.ts';
import { FakeCredential } from './fake-credential.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function poolOf(strategy: Strategy, credentials: FakeCredential[]): ProviderPool {
  return new ProviderPool(
    'claude',
    credentials,
    [{ tag: 'pool', members: credentials.map((c) => c.tag), strategy, rebalanceThreshold: 0 }],
    {
      random: () => 0,
    },
  );
}

function sequence(pool: ProviderPool, options: { session?: string; allowExternal?: boolean } = {}): string[] {
  return [...pool.candidates('pool', { sessionId: options.session, allowExternal: options.allowExternal ?? true }, () => T0)].map(
    (credential) => credential.tag,
  );
}

describe('ProviderPool.candidates', () => {
  it.each<[string, Strategy, Array<[string, { weeklyUtilization?: number; usable?: boolean; type?: 'default' | 'external' }]>, string[]]>([
    [
      'fallback: list order',
      'fallback',
      [
        ['a', {}],
        ['b', {}],
        ['c', {}],
      ],
      ['a', 'b', 'c'],
    ],
    [
      'fallback: an unusable member is never handed out',
      'fallback',
      [
        ['a', { usable: false }],
        ['b', {}],
        ['c', {}],
      ],
      ['b', 'c'],
    ],
    [
      'least-used: lowest weekly use first',
      'least-used',
      [
        ['a', { weeklyUtilization: 50 }],
        ['b', { weeklyUtilization: 10 }],
        ['c', { weeklyUtilization: 30 }],
      ],
      ['b', 'c', 'a'],
    ],
    [
      'round-robin: each member once',
      'round-robin',
      [
        ['a', {}],
        ['b', {}],
        ['c', {}],
      ],
      ['a', 'b', 'c'],
    ],
    [
      'nothing usable: nothing to try',
      'fallback',
      [
        ['a', { usable: false }],
        ['b', { usable: false }],
      ],
      [],
    ],
  ])('%s', (_name, strategy, members, expected) => {
    const credentials = members.map(([tag, options]) => {
      const credential = new FakeCredential(tag, { weeklyUtilization: options.weeklyUtilization, type: options.type });
      credential.isUsableNow = options.usable ?? true;
      return credential;
    });
    expect(sequence(poolOf(strategy, credentials))).toEqual(expected);
  });

  it('leaves external credentials out for a caller without multi-hop use', () => {
    const credentials = [new FakeCredential('peer', { type: 'external' }), new FakeCredential('own')];
    expect(sequence(poolOf('fallback', credentials), { allowExternal: false })).toEqual(['own']);
  });

  it('starts a session on its bound credential; moving past it (a failure) moves the session', () => {
    const credentials = [new FakeCredential('a', { weeklyUtilization: 10 }), new FakeCredential('b', { weeklyUtilization: 20 })];
    const pool = poolOf('least-used', credentials);
    const first = (): string | undefined => pool.candidates('pool', { sessionId: 's1', allowExternal: true }, () => T0).next().value?.tag;
    expect(first()).toBe('a');
    // a now looks busier, but a bound session stays with it.
    credentials[0]!.weekly = { utilization: 90, resetAt: 0 };
    expect(first()).toBe('a');
    // One request where a failed: the next candidate is b, and the session follows it.
    expect(sequence(pool, { session: 's1' })).toEqual(['a', 'b']);
    expect(first()).toBe('b');
  });

  it('is lazy: a caller that stops after the first answer picks only once', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b')];
    const pool = poolOf('round-robin', credentials);
    const first = pool.candidates('pool', { sessionId: undefined, allowExternal: true }, () => T0).next().value;
    expect(first?.tag).toBe('a');
    // Had the iterator picked ahead, round-robin would have advanced twice.
    expect(sequence(pool)).toEqual(['b', 'a']);
  });
});

describe('ProviderPool.candidates for a model', () => {
  function blocking(tag: string, blockedModels: string[]): FakeCredential {
    const credential = new FakeCredential(tag);
    Object.assign(credential, { isModelBlocked: (model: string) => blockedModels.includes(model) });
    return credential;
  }

  it('skips credentials that refuse the model, other models still start on them', () => {
    const pool = poolOf('fallback', [blocking('a', ['opus']), blocking('b', [])]);
    const tags = (model: string): string[] =>
      [...pool.candidates('pool', { sessionId: undefined, allowExternal: true, model }, () => T0)].map((credential) => credential.tag);
    expect(tags('opus')).toEqual(['b', 'a']);
    expect(tags('sonnet')).toEqual(['a', 'b']);
  });

  it('when every credential refuses the model, still hands them out so the vendor can say so', () => {
    const pool = poolOf('fallback', [blocking('a', ['opus']), blocking('b', ['opus'])]);
    expect(
      [...pool.candidates('pool', { sessionId: undefined, allowExternal: true, model: 'opus' }, () => T0)].map(
        (credential) => credential.tag,
      ),
    ).toEqual(['a', 'b']);
  });
});
