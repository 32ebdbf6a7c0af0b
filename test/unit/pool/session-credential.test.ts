import { describe, expect, it } from 'vitest';
import { ProviderPool, StickySessions, STICKY_TTL_MS, type Strategy } from '../../../src/pool/index.ts';
import { FakeCredential } from './fake-credential.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const NONE = new Set<never>();

function poolOf(strategy: Strategy, credentials: FakeCredential[]): ProviderPool {
  return new ProviderPool('claude', credentials, [
    { tag: 'pool', members: credentials.map((c) => c.tag), strategy, rebalanceThreshold: 0 },
  ]);
}

describe('StickySessions.peek', () => {
  const key = { route: 'pool', scope: 'all' as const, sessionId: 's' };

  it('reads a binding without keeping it alive', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key, undefined, 'a', T0);
    expect(sessions.peek(key, T0 + STICKY_TTL_MS - 1)).toBe('a');
    // Had the peek counted as use, the binding would live until T0 + 2 TTL.
    expect(sessions.get(key, T0 + STICKY_TTL_MS)).toBeUndefined();
  });

  it('answers undefined for an expired binding even before a sweep removes it', () => {
    const sessions = new StickySessions();
    sessions.compareAndSet(key, undefined, 'a', T0);
    expect(sessions.peek(key, T0 + STICKY_TTL_MS)).toBeUndefined();
  });

  it('stores nothing for unknown sessions, however many are asked about', () => {
    const sessions = new StickySessions();
    for (let index = 0; index < 1000; index += 1) sessions.peek({ ...key, sessionId: `s${index}` }, T0);
    expect(sessions.size).toBe(0);
  });
});

describe('ProviderPool.sessionCredential', () => {
  it('names the credential a session is bound to, per session', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b')];
    const pool = poolOf('round-robin', credentials);
    pool.select('pool', { sessionId: 's1', allowExternal: true, exclude: NONE }, T0);
    pool.select('pool', { sessionId: 's2', allowExternal: true, exclude: NONE }, T0);
    expect(pool.sessionCredential('pool', 's1', true, T0)?.tag).toBe('a');
    expect(pool.sessionCredential('pool', 's2', true, T0)?.tag).toBe('b');
  });

  it('asking does not pick: round-robin order and bindings are left as they were', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b')];
    const pool = poolOf('round-robin', credentials);
    expect(pool.sessionCredential('pool', 'new', true, T0)).toBeUndefined();
    expect(pool.sessionCredential('pool', 'new', true, T0)).toBeUndefined();
    expect(pool.select('pool', { sessionId: 'first', allowExternal: true, exclude: NONE }, T0)?.tag).toBe('a');
  });

  it('an unusable bound credential is not "serving": the next request will move the session', () => {
    const a = new FakeCredential('a');
    const pool = poolOf('least-used', [a, new FakeCredential('b')]);
    pool.select('pool', { sessionId: 's', allowExternal: true, exclude: NONE }, T0);
    a.isUsableNow = false;
    expect(pool.sessionCredential('pool', 's', true, T0)).toBeUndefined();
  });

  it('fallback never binds, so the answer is its first usable member', () => {
    const a = new FakeCredential('a');
    const pool = poolOf('fallback', [a, new FakeCredential('b')]);
    expect(pool.sessionCredential('pool', 'any', true, T0)?.tag).toBe('a');
    a.isUsableNow = false;
    expect(pool.sessionCredential('pool', 'any', true, T0)?.tag).toBe('b');
  });

  it('keeps scopes apart: a binding made with external credentials is not the non-external answer', () => {
    const external = new FakeCredential('ext', { type: 'external', planWeight: 10 });
    const pool = poolOf('least-used', [external, new FakeCredential('local')]);
    pool.select('pool', { sessionId: 's', allowExternal: true, exclude: NONE }, T0);
    expect(pool.sessionCredential('pool', 's', true, T0)?.tag).toBe('ext');
    expect(pool.sessionCredential('pool', 's', false, T0)).toBeUndefined();
    expect(pool.sessionCredential('nope', 's', true, T0)).toBeUndefined();
  });
});
