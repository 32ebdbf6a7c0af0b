import { describe, expect, it } from 'vitest';
import { DisabledCredentials, ProviderPool, type Strategy } from '../../../src/pool/index.ts';
import { FakeCredential } from './fake-credential.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const NONE = new Set<never>();

function poolOf(strategy: Strategy, disabled: DisabledCredentials): ProviderPool {
  const credentials = [new FakeCredential('a', { planWeight: 10 }), new FakeCredential('b', { planWeight: 1 })];
  return new ProviderPool('claude', credentials, [{ tag: 'pool', members: ['a', 'b'], strategy, rebalanceThreshold: 0 }], { disabled });
}

describe('a pool with a disabled credential', () => {
  it.each<Strategy>(['fallback', 'round-robin', 'least-used', 'random'])(
    '%s never picks it, and picks it again once enabled',
    (strategy) => {
      const disabled = new DisabledCredentials();
      const pool = poolOf(strategy, disabled);
      disabled.disable('claude', 'a', { by: 'admin', atMs: T0 });
      const picks = Array.from(
        { length: 6 },
        () => pool.select('pool', { sessionId: undefined, allowExternal: false, exclude: NONE }, T0)?.tag,
      );
      expect(picks).toEqual(['b', 'b', 'b', 'b', 'b', 'b']);
      disabled.enable('claude', 'a');
      const after = Array.from(
        { length: 6 },
        () => pool.select('pool', { sessionId: undefined, allowExternal: false, exclude: NONE }, T0)?.tag,
      );
      expect(after).toContain('a');
    },
  );

  it('moves a bound session off it, and says so in the session view', () => {
    const disabled = new DisabledCredentials();
    const pool = poolOf('least-used', disabled);
    const selection = { sessionId: 's1', allowExternal: false, exclude: NONE };
    expect(pool.select('pool', selection, T0)?.tag).toBe('a');
    expect(pool.sessionCredential('pool', 's1', false, T0)?.tag).toBe('a');
    disabled.disable('claude', 'a', { by: 'admin', atMs: T0 });
    expect(pool.sessionCredential('pool', 's1', false, T0)).toBeUndefined();
    expect(pool.select('pool', selection, T0)?.tag).toBe('b');
  });

  it('reports it unavailable to the aggregate, keeps its own state for the admin rows, and tells watchers', () => {
    const disabled = new DisabledCredentials();
    const pool = poolOf('least-used', disabled);
    let changes = 0;
    pool.onChange(() => (changes += 1));
    disabled.disable('claude', 'a', { by: 'admin', atMs: T0, reason: 'r' });
    expect(changes).toBe(1);
    expect(pool.snapshots('pool', false, T0).map((snapshot) => [snapshot.tag, snapshot.state])).toEqual([
      ['a', 'unavailable'],
      ['b', 'usable'],
    ]);
    expect(pool.allSnapshots(T0).find((snapshot) => snapshot.tag === 'a')?.state).toBe('usable');
    expect(pool.disabledMark('a')).toEqual({ by: 'admin', atMs: T0, reason: 'r' });
    // Another provider's mark of the same tag is not this pool's.
    disabled.enable('claude', 'a');
    disabled.disable('codex', 'a', { by: 'admin', atMs: T0 });
    expect(pool.isDisabled('a')).toBe(false);
  });
});
