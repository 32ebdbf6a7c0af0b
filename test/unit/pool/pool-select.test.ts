import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProviderPool, type Credential, type Strategy } from '../../../src/pool/index.ts';
import { FakeCredential } from './fake-credential.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const DAY_MS = 24 * 3600 * 1000;

interface Request {
  session?: string;
  allowExternal?: boolean;
  exclude?: string[];
  atMs?: number;
}

function poolOf(strategy: Strategy, credentials: FakeCredential[], options: { random?: () => number; logs?: string[] } = {}): ProviderPool {
  const logs = options.logs;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs?.push(chunk.toString('utf8'));
      callback();
    },
  });
  return new ProviderPool(
    'claude',
    credentials,
    [{ tag: 'pool', members: credentials.map((c) => c.tag), strategy, rebalanceThreshold: 0 }],
    {
      random: options.random,
      logger: logs === undefined ? undefined : pino({ level: 'info' }, destination),
    },
  );
}

function run(pool: ProviderPool, credentials: Credential[], requests: Request[]): Array<string | undefined> {
  return requests.map((request) => {
    const exclude = new Set(credentials.filter((credential) => request.exclude?.includes(credential.tag)));
    const selection = { sessionId: request.session, allowExternal: request.allowExternal ?? true, exclude };
    return pool.select('pool', selection, request.atMs ?? T0)?.tag;
  });
}

describe('ProviderPool.select', () => {
  it('round-robin advances once per new session, not per request of a bound session', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b'), new FakeCredential('c')];
    const pool = poolOf('round-robin', credentials);
    const picks = run(pool, credentials, [
      { session: 's1' },
      { session: 's1' },
      { session: 's2' },
      {},
      { session: 's1' },
      { session: 's3' },
    ]);
    expect(picks).toEqual(['a', 'a', 'b', 'c', 'a', 'a']);
  });

  it('a session-less request picks afresh every time', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b')];
    const draws = [0, 0.9, 0.1, 0.6];
    const pool = poolOf('random', credentials, { random: () => draws.shift() ?? 0 });
    expect(run(pool, credentials, [{}, {}, {}, {}])).toEqual(['a', 'b', 'a', 'b']);
  });

  it('least-used: a session stays put while another credential starts to look better', () => {
    const a = new FakeCredential('a', { planWeight: 10 });
    const b = new FakeCredential('b', { planWeight: 1 });
    const pool = poolOf('least-used', [a, b]);
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['a']);
    a.weekly = { utilization: 95, resetAt: 0 };
    expect(run(pool, [a, b], [{ session: 's' }, { session: 'new' }, { session: 's' }])).toEqual(['a', 'b', 'a']);
  });

  it('an unusable bound credential is replaced and the session re-bound to the replacement', () => {
    const a = new FakeCredential('a');
    const b = new FakeCredential('b');
    const pool = poolOf('least-used', [a, b]);
    run(pool, [a, b], [{ session: 's' }]);
    a.isUsableNow = false;
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['b']);
    a.isUsableNow = true;
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['b']);
  });

  it('failover: a bound credential already tried by this request is excluded, and the session follows', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b'), new FakeCredential('c')];
    const pool = poolOf('least-used', credentials);
    const picks = run(pool, credentials, [
      { session: 's' },
      { session: 's', exclude: ['a'] },
      { session: 's', exclude: ['a', 'b'] },
      { session: 's' },
    ]);
    expect(picks).toEqual(['a', 'b', 'c', 'c']);
  });

  it('nothing usable: no pick, and the binding survives for when the credential is back', () => {
    const a = new FakeCredential('a');
    const pool = poolOf('round-robin', [a, new FakeCredential('b', { type: 'external' })]);
    run(pool, [a], [{ session: 's', allowExternal: false }]);
    a.isUsableNow = false;
    expect(run(pool, [a], [{ session: 's', allowExternal: false }])).toEqual([undefined]);
    a.isUsableNow = true;
    expect(run(pool, [a], [{ session: 's', allowExternal: false }])).toEqual(['a']);
  });

  it('external credentials are out of reach without allowExternal, and scopes keep separate bindings', () => {
    const external = new FakeCredential('ext', { type: 'external', planWeight: 10 });
    const local = new FakeCredential('local');
    const pool = poolOf('least-used', [external, local]);
    const picks = run(
      pool,
      [external, local],
      [
        { session: 's', allowExternal: true },
        { session: 's', allowExternal: false },
        { session: 's', allowExternal: true },
      ],
    );
    expect(picks).toEqual(['ext', 'local', 'ext']);
  });

  it('fallback never binds: the first usable credential wins again as soon as it is back', () => {
    const a = new FakeCredential('a');
    const b = new FakeCredential('b');
    const pool = poolOf('fallback', [a, b]);
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['a']);
    a.isUsableNow = false;
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['b']);
    a.isUsableNow = true;
    expect(run(pool, [a, b], [{ session: 's' }])).toEqual(['a']);
  });

  it('a binding idle for 24 h is forgotten and the session picks again', () => {
    const credentials = [new FakeCredential('a'), new FakeCredential('b')];
    const pool = poolOf('round-robin', credentials);
    const picks = run(pool, credentials, [
      { session: 's', atMs: T0 },
      { session: 's', atMs: T0 + DAY_MS - 1 },
      { session: 's', atMs: T0 + 2 * DAY_MS - 1 },
    ]);
    expect(picks).toEqual(['a', 'a', 'b']);
  });

  it('an unknown route selects nothing', () => {
    const pool = poolOf('least-used', [new FakeCredential('a')]);
    expect(pool.select('nope', { sessionId: 's', allowExternal: true, exclude: new Set() }, T0)).toBeUndefined();
  });

  it('logs one line when a session is assigned and one when it moves, none on a sticky hit', () => {
    const logs: string[] = [];
    const a = new FakeCredential('a');
    const b = new FakeCredential('b');
    const pool = poolOf('least-used', [a, b], { logs });
    run(pool, [a, b], [{ session: 's' }, { session: 's' }, { session: 's', exclude: ['a'] }, {}]);
    const lines = logs.map((line) => JSON.parse(line) as { msg: string; session: string; credential: string; from?: string });
    expect(lines.map(({ msg, session, credential, from }) => ({ msg, session, credential, from }))).toEqual([
      { msg: 'session assigned', session: 's', credential: 'a', from: undefined },
      { msg: 'session moved: its credential is unusable or failed this request', session: 's', credential: 'b', from: 'a' },
    ]);
  });
});
