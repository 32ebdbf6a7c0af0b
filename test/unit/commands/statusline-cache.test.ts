import { chmod, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cacheDirectory,
  cacheFilePath,
  emptyCache,
  FRESH_MS,
  isOffline,
  LOCK_STALE_MS,
  needsRefresh,
  parseCache,
  prepareDirectory,
  readCache,
  RETRY_MS,
  tryLock,
  UNBOUND_FRESH_MS,
  unlock,
  withAnswer,
  withFailure,
  writeCache,
} from '../../../src/commands/statusline-cache.ts';
import { parseStatuslineInput } from '../../../src/commands/statusline-input.ts';
import { statusUrl } from '../../../src/commands/statusline-fetch.ts';
import { resolveTarget } from '../../../src/commands/statusline.ts';
import type { ProviderStatus } from '../../../src/status/index.ts';

const T0 = 1_800_000_000_000;
const POOL: ProviderStatus = {
  five_hour_utilization: 10,
  five_hour_reset: 1,
  weekly_utilization: 20,
  weekly_reset: 2,
  plan_weight: 1,
  state: 'usable',
  retry_at: 0,
};

describe('statusline cache decisions', () => {
  it.each([
    { name: 'never fetched', cache: emptyCache(), session: undefined, atMs: T0, refresh: true },
    {
      name: 'fresh pool, no session asked',
      cache: withAnswer(emptyCache(), POOL, undefined, 0, T0),
      session: undefined,
      atMs: T0 + FRESH_MS - 1,
      refresh: false,
    },
    { name: 'stale pool', cache: withAnswer(emptyCache(), POOL, undefined, 0, T0), session: undefined, atMs: T0 + FRESH_MS, refresh: true },
    { name: 'fresh pool, unknown session', cache: withAnswer(emptyCache(), POOL, undefined, 0, T0), session: 's', atMs: T0, refresh: true },
    {
      name: 'fresh pool and session',
      cache: withAnswer(emptyCache(), POOL, { id: 's', credential: 'a', peer: null }, 0, T0),
      session: 's',
      atMs: T0 + 1,
      refresh: false,
    },
    {
      name: 'a session the node had not bound: asked again soon',
      cache: withAnswer(emptyCache(), POOL, { id: 's', credential: null, peer: null }, 0, T0),
      session: 's',
      atMs: T0 + UNBOUND_FRESH_MS,
      refresh: true,
    },
    {
      name: 'a session the node had not bound, just asked',
      cache: withAnswer(emptyCache(), POOL, { id: 's', credential: null, peer: null }, 0, T0),
      session: 's',
      atMs: T0 + UNBOUND_FRESH_MS - 1,
      refresh: false,
    },
    {
      name: 'failed a moment ago: wait before asking again',
      cache: withFailure(emptyCache(), T0),
      session: 's',
      atMs: T0 + RETRY_MS - 1,
      refresh: false,
    },
    { name: 'failed a while ago: ask again', cache: withFailure(emptyCache(), T0), session: 's', atMs: T0 + RETRY_MS, refresh: true },
  ])('$name → refresh $refresh', ({ cache, session, atMs, refresh }) => {
    expect(needsRefresh(cache, session, atMs)).toBe(refresh);
  });

  it('a failure after an answer is offline; an answer after a failure is not', () => {
    const answered = withAnswer(emptyCache(), POOL, undefined, 0, T0);
    expect(isOffline(answered)).toBe(false);
    const failed = withFailure(answered, T0 + 1);
    expect(isOffline(failed)).toBe(true);
    expect(isOffline(withAnswer(failed, POOL, undefined, 0, T0 + 2))).toBe(false);
  });

  it('keeps the 32 most recently answered sessions', () => {
    let cache = emptyCache();
    for (let index = 0; index < 40; index += 1)
      cache = withAnswer(cache, POOL, { id: `s${index}`, credential: 'a', peer: null }, 0, T0 + index);
    expect(Object.keys(cache.sessions)).toHaveLength(32);
    expect(cache.sessions.s39).toBeDefined();
    expect(cache.sessions.s7).toBeUndefined();
  });

  it.each([
    ['not JSON-shaped', 'text'],
    ['another version', { version: 2, fetchedAtMs: 1, nodeOffsetMs: 0, failedAtMs: 0 }],
    ['a string where a number belongs', { version: 1, fetchedAtMs: '1', nodeOffsetMs: 0, failedAtMs: 0 }],
  ])('refuses a cache that is %s', (_name, value) => {
    expect(parseCache(value)).toBeUndefined();
  });

  it('drops a malformed pool or session entry and keeps the rest', () => {
    const parsed = parseCache({
      version: 1,
      fetchedAtMs: 5,
      nodeOffsetMs: 0,
      failedAtMs: 0,
      pool: { ...POOL, state: 'glorious' },
      sessions: { good: { credential: 'a', peer: null, atMs: 1 }, bad: { credential: 7, peer: null, atMs: 1 } },
    });
    expect(parsed?.pool).toBeUndefined();
    expect(Object.keys(parsed?.sessions ?? {})).toEqual(['good']);
  });
});

describe('statusline cache files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-slcache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('one file per node and token, named by a hash, written 0600 and read back', async () => {
    const path = cacheFilePath(dir, 'http://node:8787', 'secret-token');
    expect(path).not.toContain('secret');
    expect(cacheFilePath(dir, 'http://node:8787', 'other-token')).not.toBe(path);
    expect(cacheFilePath(dir, 'http://other:8787', 'secret-token')).not.toBe(path);
    const cache = withAnswer(emptyCache(), POOL, { id: 's', credential: 'a', peer: null }, 0, T0);
    writeCache(path, cache);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(readCache(path)).toEqual(cache);
  });

  it('ignores a cache file that is too big, and one that is not a file', async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, JSON.stringify({ version: 1, fetchedAtMs: 1, nodeOffsetMs: 0, failedAtMs: 0, pad: 'x'.repeat(70_000) }));
    expect(readCache(path)).toBeUndefined();
    expect(readCache(dir)).toBeUndefined();
  });

  it('prepares its own directory, and refuses one others may write', async () => {
    const own = join(dir, 'own');
    expect(prepareDirectory(own)).toBe(true);
    expect((await stat(own)).mode & 0o777).toBe(0o700);
    const shared = join(dir, 'shared');
    expect(prepareDirectory(shared)).toBe(true);
    await chmod(shared, 0o777);
    expect(prepareDirectory(shared)).toBe(false);
  });

  it('one lock holder at a time; a lock left by a dead refresher is taken over once old', async () => {
    const path = join(dir, 'cache.json');
    expect(tryLock(path, Date.now())).toBe(true);
    expect(tryLock(path, Date.now())).toBe(false);
    const old = (Date.now() - LOCK_STALE_MS - 1000) / 1000;
    await utimes(`${path}.lock`, old, old);
    expect(tryLock(path, Date.now())).toBe(true);
    unlock(path);
    expect(tryLock(path, Date.now())).toBe(true);
    unlock(path);
    unlock(path);
  });

  it('XDG_CACHE_HOME wins over the temp dir, QUOTAMESH_CACHE_DIR over both', () => {
    expect(cacheDirectory({ XDG_CACHE_HOME: '/x' })).toBe('/x/quotamesh');
    expect(cacheDirectory({ XDG_CACHE_HOME: '/x', QUOTAMESH_CACHE_DIR: '/q' })).toBe('/q');
    expect(cacheDirectory({})).toContain(tmpdir());
  });
});

describe('statusline input and target', () => {
  it.each([
    [
      'Claude Code’s JSON',
      '{"session_id":"0b6f3c9e-2c1d-4e4a-9a55-1f2e3d4c5b6a","model":{"id":"m"}}',
      '0b6f3c9e-2c1d-4e4a-9a55-1f2e3d4c5b6a',
    ],
    ['no session_id', '{"cwd":"/"}', undefined],
    ['a number for session_id', '{"session_id":7}', undefined],
    ['a session id with a newline', '{"session_id":"a\\nb"}', undefined],
    ['a session id longer than the node takes', `{"session_id":"${'a'.repeat(257)}"}`, undefined],
    ['not JSON', 'hello', undefined],
    ['JSON null', 'null', undefined],
    ['nothing', undefined, undefined],
  ])('%s → %s', (_name, text, sessionId) => {
    expect(parseStatuslineInput(text).sessionId).toBe(sessionId);
  });

  it.each([
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787/v1/status?provider=claude&session=s'],
    ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787/v1/status?provider=claude&session=s'],
    ['https://proxy.example/quotamesh/', 'https://proxy.example/quotamesh/v1/status?provider=claude&session=s'],
    ['http://node:8787/?x=1#frag', 'http://node:8787/v1/status?provider=claude&session=s'],
  ])('status URL under %s', (base, expected) => {
    expect(statusUrl(base, 's').toString()).toBe(expected);
  });

  it.each([
    {
      name: 'flags first',
      options: { url: 'http://flag', token: 'tf' },
      env: { QUOTAMESH_URL: 'http://env', QUOTAMESH_TOKEN: 'te' },
      target: { url: 'http://flag', token: 'tf' },
    },
    {
      name: 'then QUOTAMESH_*',
      options: {},
      env: { QUOTAMESH_URL: 'http://env', QUOTAMESH_TOKEN: 'te', ANTHROPIC_BASE_URL: 'http://a', ANTHROPIC_AUTH_TOKEN: 'ta' },
      target: { url: 'http://env', token: 'te' },
    },
    {
      name: 'then the pair Claude Code uses',
      options: {},
      env: { ANTHROPIC_BASE_URL: 'http://a', ANTHROPIC_AUTH_TOKEN: 'ta' },
      target: { url: 'http://a', token: 'ta' },
    },
    {
      name: 'ANTHROPIC_AUTH_TOKEN never goes to another URL',
      options: {},
      env: { QUOTAMESH_URL: 'http://env', ANTHROPIC_BASE_URL: 'http://a', ANTHROPIC_AUTH_TOKEN: 'ta' },
      target: undefined,
    },
    { name: 'nor to the default URL', options: {}, env: { ANTHROPIC_AUTH_TOKEN: 'ta' }, target: undefined },
    {
      name: 'the default URL with QUOTAMESH_TOKEN',
      options: {},
      env: { QUOTAMESH_TOKEN: 'te' },
      target: { url: 'http://127.0.0.1:8787', token: 'te' },
    },
    { name: 'a URL that does not parse', options: { url: 'not a url', token: 't' }, env: {}, target: undefined },
  ])('target: $name', ({ options, env, target }) => {
    expect(resolveTarget(options, env)).toEqual(target);
  });
});
