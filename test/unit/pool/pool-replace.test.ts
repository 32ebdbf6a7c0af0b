import { describe, expect, it } from 'vitest';
import { ProviderPool } from '../../../src/pool/index.ts';
import { FakeCredential } from './fake-credential.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const route = (members: string[]) => [{ tag: 'pool', members, strategy: 'least-used' as const, rebalanceThreshold: 0 }];

function pick(pool: ProviderPool, session: string): string | undefined {
  return pool.select('pool', { sessionId: session, allowExternal: true, exclude: new Set() }, T0)?.tag;
}

describe('ProviderPool.replace (a config reload)', () => {
  it('keeps a kept instance and its sessions, returns the ones let go, and serves the new ones', () => {
    const a = new FakeCredential('a', { weeklyUtilization: 30 });
    const b = new FakeCredential('b', { weeklyUtilization: 50 });
    const pool = new ProviderPool('claude', [a, b], route(['a', 'b']));
    expect(pick(pool, 's1')).toBe('a');

    // c is the emptiest, but s1 stays on a (prompt cache); b is let go of.
    const c = new FakeCredential('c');
    const released = pool.replace([a, c], route(['a', 'c']));
    expect(released).toEqual([b]);
    expect(pool.credential('a')).toBe(a);
    expect(pool.credential('b')).toBeUndefined();
    expect(pick(pool, 's1')).toBe('a');
    expect(pool.members('c', true)).toEqual([c]);
    expect(pick(pool, 's2')).toBe('c');
  });

  it('moves a session whose credential was removed on its next request', () => {
    const a = new FakeCredential('a');
    const b = new FakeCredential('b', { weeklyUtilization: 50 });
    const pool = new ProviderPool('claude', [a, b], route(['a', 'b']));
    expect(pick(pool, 's1')).toBe('a');
    pool.replace([b], route(['b']));
    expect(pick(pool, 's1')).toBe('b');
  });

  it('tells status watchers the membership changed', () => {
    const a = new FakeCredential('a');
    const pool = new ProviderPool('claude', [a], route(['a']));
    let changes = 0;
    pool.onChange(() => (changes += 1));
    pool.replace([a, new FakeCredential('b')], route(['a', 'b']));
    expect(changes).toBe(1);
  });
});
