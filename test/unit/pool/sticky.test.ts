import { describe, expect, it } from 'vitest';
import { StickySessions, STICKY_TTL_MS, type StickyKey } from '../../../src/pool/sticky.ts';

const T0 = 1_000_000;
const key = (sessionId: string, overrides: Partial<StickyKey> = {}): StickyKey => ({
  route: 'pool',
  scope: 'all',
  sessionId,
  ...overrides,
});

describe('StickySessions', () => {
  it('binds a new session once: the second compare-and-set from "unbound" loses', () => {
    const sessions = new StickySessions();
    expect(sessions.compareAndSet(key('s'), undefined, 'a', T0)).toBe(true);
    expect(sessions.compareAndSet(key('s'), undefined, 'b', T0)).toBe(false);
    expect(sessions.get(key('s'), T0)).toBe('a');
  });

  it('re-binds only from the binding the caller saw', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key('s'), undefined, 'a', T0);
    expect(sessions.compareAndSet(key('s'), 'b', 'c', T0)).toBe(false);
    expect(sessions.compareAndSet(key('s'), 'a', 'c', T0)).toBe(true);
    expect(sessions.get(key('s'), T0)).toBe('c');
  });

  it('keeps routes and scopes apart', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key('s'), undefined, 'a', T0);
    expect(sessions.get(key('s', { scope: 'non_external' }), T0)).toBeUndefined();
    expect(sessions.get(key('s', { route: 'other' }), T0)).toBeUndefined();
  });

  it('forgets a binding idle for the TTL, and a use resets the idle clock', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key('busy'), undefined, 'a', T0);
    sessions.compareAndSet(key('idle'), undefined, 'b', T0);
    expect(sessions.get(key('busy'), T0 + STICKY_TTL_MS - 1)).toBe('a');
    expect(sessions.get(key('idle'), T0 + STICKY_TTL_MS)).toBeUndefined();
    expect(sessions.get(key('busy'), T0 + 2 * STICKY_TTL_MS - 2)).toBe('a');
    expect(sessions.size).toBe(1);
  });

  it('sweeps expired bindings lazily on any access', () => {
    const sessions = new StickySessions({ ttlMs: 1000 });
    for (let index = 0; index < 50; index += 1) sessions.compareAndSet(key(`s${index}`), undefined, 'a', T0 + index);
    sessions.get(key('unrelated'), T0 + 1025);
    expect(sessions.size).toBe(24);
  });

  it('evicts the least recently used binding past maxEntries', () => {
    const sessions = new StickySessions({ maxEntries: 2 });
    sessions.compareAndSet(key('old'), undefined, 'a', T0);
    sessions.compareAndSet(key('touched'), undefined, 'a', T0 + 1);
    sessions.get(key('old'), T0 + 2);
    sessions.compareAndSet(key('new'), undefined, 'a', T0 + 3);
    expect(sessions.size).toBe(2);
    expect(sessions.get(key('touched'), T0 + 4)).toBeUndefined();
    expect(sessions.get(key('old'), T0 + 4)).toBe('a');
    expect(sessions.get(key('new'), T0 + 4)).toBe('a');
  });

  it('moves every session of one credential in one route and scope, nothing else', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key('s1'), undefined, 'hot', T0);
    sessions.compareAndSet(key('s2'), undefined, 'hot', T0);
    sessions.compareAndSet(key('s3'), undefined, 'cold', T0);
    sessions.compareAndSet(key('s4', { scope: 'non_external' }), undefined, 'hot', T0);
    sessions.compareAndSet(key('s5', { route: 'other' }), undefined, 'hot', T0);
    expect(sessions.moveAll('pool', 'all', 'hot', 'cold')).toBe(2);
    const bound = ['s1', 's2', 's3'].map((id) => sessions.get(key(id), T0));
    expect(bound).toEqual(['cold', 'cold', 'cold']);
    expect(sessions.get(key('s4', { scope: 'non_external' }), T0)).toBe('hot');
    expect(sessions.get(key('s5', { route: 'other' }), T0)).toBe('hot');
  });
});
