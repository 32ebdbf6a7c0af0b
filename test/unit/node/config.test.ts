import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/lib/index.ts';
import { parseConfigValue } from '../../../src/node/index.ts';
import { tunnelTunables } from '../../../src/node/mesh.ts';

const environment = { env: { HUB_TOKEN: 'h'.repeat(20) }, homeDir: '/home/me', baseDir: '/etc/qm' };
const base = {
  users: [{ name: 'alice', token: 'a'.repeat(20) }],
  claude: {
    route: 'pool',
    credentials: [
      { tag: 'mine', type: 'default', path: '~/.claude/.credentials.json' },
      { tag: 'pool', type: 'balancer', credentials: ['mine'] },
    ],
  },
};

function problemsOf(raw: unknown): string[] {
  try {
    parseConfigValue(raw, environment);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('config', () => {
  it('fills defaults, expands ~ and ${ENV}, and freezes the result', () => {
    const config = parseConfigValue(
      { ...base, peers: [{ name: 'hub', url: 'https://hub.example:8787', token: '${HUB_TOKEN}', reverse: true }] },
      environment,
    );
    expect(config.listen).toBe('127.0.0.1:8787');
    expect(config.state_dir).toBe('/home/me/.local/state/quotamesh');
    expect(config.claude?.credentials[0]).toMatchObject({ path: '/home/me/.claude/.credentials.json' });
    expect(config.claude?.credentials[1]).toMatchObject({ strategy: 'least-used', rebalance_threshold: 0 });
    expect(config.claude?.api_url).toBe('https://api.anthropic.com');
    expect(config.claude?.oauth_url).toBe('https://platform.claude.com/v1/oauth/token');
    expect(config.peers[0]?.token).toBe('h'.repeat(20));
    expect(Object.isFrozen(config.claude?.credentials[0])).toBe(true);
  });

  it('bounds peers and tunnels by default: max_plan_weight 20, 1024 streams, keepalive 15 s / 30 s', () => {
    const config = parseConfigValue({ ...base, peers: [{ name: 'hub', token: 'h'.repeat(20) }] }, environment);
    expect(config.peers[0]?.max_plan_weight).toBe(20);
    expect(config.tunnel).toEqual({
      max_streams: 1024,
      keepalive_interval_ms: 15_000,
      keepalive_timeout_ms: 30_000,
      response_head_timeout_ms: 2_000,
      ping_timeout_ms: 1_500,
    });
    const tuned = parseConfigValue({ ...base, tunnel: { max_streams: 64, keepalive_interval_ms: 5_000 } }, environment);
    expect(tuned.tunnel).toMatchObject({ max_streams: 64, keepalive_interval_ms: 5_000, keepalive_timeout_ms: 30_000 });
  });

  it('limits: absent is no limit; a limits object gets queue_timeout_ms 30 s; max_concurrent defaults to 256', () => {
    const config = parseConfigValue(
      {
        ...base,
        users: [
          { name: 'alice', token: 'a'.repeat(20) },
          { name: 'bob', token: 'b'.repeat(20), limits: { concurrent: 2, requests_per_minute: 30 } },
        ],
        peers: [{ name: 'hub', token: 'h'.repeat(20), limits: { concurrent: 8, queue_timeout_ms: 1_000 } }],
      },
      environment,
    );
    expect(config.users[0]?.limits).toBeUndefined();
    expect(config.users[1]?.limits).toEqual({ concurrent: 2, requests_per_minute: 30, queue_timeout_ms: 30_000 });
    expect(config.peers[0]?.limits).toEqual({ concurrent: 8, queue_timeout_ms: 1_000 });
    expect(config.claude?.credentials[0]).toMatchObject({ max_concurrent: 256 });
  });

  it('hands the tunnel section to the tunnel layer, under explicit overrides', () => {
    const config = parseConfigValue({ ...base, tunnel: { max_streams: 64, keepalive_timeout_ms: 9_000 } }, environment);
    expect(tunnelTunables(config.tunnel, { keepaliveIntervalMs: 200 })).toEqual({
      maxStreams: 64,
      keepaliveIntervalMs: 200,
      keepaliveTimeoutMs: 9_000,
      responseHeadTimeoutMs: 2_000,
      pingTimeoutMs: 1_500,
    });
  });

  it('resolves relative paths against the config file directory', () => {
    const config = parseConfigValue({ ...base, state_dir: 'state' }, environment);
    expect(config.state_dir).toBe('/etc/qm/state');
  });

  it.each([
    [
      {
        ...base,
        claude: { ...base.claude, credentials: [base.claude.credentials[0], { ...base.claude.credentials[1], strategy: 'fastest' }] },
      },
      'claude.credentials[1].strategy: expected one of least-used|round-robin|random|fallback',
    ],
    [{ ...base, extra: 1 }, 'extra: unknown key'],
    [{ ...base, users: [{ name: 'bob', token: 'short' }] }, 'users[0].token: a token is at least 16 characters'],
    [{ ...base, users: [{ name: 'bob', token: '${NOPE}' }] }, 'users[0].token: environment variable NOPE is not set'],
    [
      {
        ...base,
        claude: {
          ...base.claude,
          credentials: [{ tag: 'mine', type: 'default', path: 'x', reserve_5h: 5, limit_5h: 50 }, base.claude.credentials[1]],
        },
      },
      'claude.credentials[0].limit_5h: set reserve_5h or limit_5h, not both',
    ],
    [
      {
        ...base,
        claude: { ...base.claude, credentials: [base.claude.credentials[0], { tag: 'pool', type: 'balancer', credentials: ['ghost'] }] },
      },
      'claude.credentials[1].credentials[0]: no claude credential tagged "ghost"',
    ],
    [{ ...base, claude: { ...base.claude, route: 'nope' } }, 'claude.route: no credential tagged "nope"'],
    [
      { ...base, claude: { ...base.claude, credentials: [...base.claude.credentials, { tag: 'bob', type: 'external', peer: 'bob' }] } },
      'claude.credentials[2].peer: no peer named "bob" in peers',
    ],
    [
      { ...base, claude: { ...base.claude, credentials: [{ tag: 'mine', type: 'robot' }] } },
      'claude.credentials[0].type: expected one of default|external|balancer',
    ],
    [{ ...base, listen: 'localhost' }, 'listen: expected host:port, e.g. 127.0.0.1:8787'],
    [
      { ...base, peers: [{ name: 'hub', token: 'h'.repeat(20), reverse: true }] },
      'peers[0].reverse: a connector (reverse: true) needs a url',
    ],
    [
      { ...base, peers: [{ name: 'hub', token: 'h'.repeat(20), max_plan_weight: 0 }] },
      'peers[0].max_plan_weight: Too small: expected number to be >0',
    ],
    [
      { ...base, peers: [{ name: 'hub', token: 'h'.repeat(20), max_plan_weight: 2_000_000 }] },
      'peers[0].max_plan_weight: Too big: expected number to be <=1000000',
    ],
    [
      { ...base, peers: [{ name: 'sb', url: 'http://hub.example:8080', token: 'h'.repeat(20), protocol: 'sing-box' }] },
      'peers[0].url: a sing-box peer sends its token in clear: use https://, or set allow_insecure: true to send it over http:// anyway',
    ],
    [
      { ...base, peers: [{ name: 'sb', url: 'http://10.0.0.2:8080', token: 'h'.repeat(20), protocol: 'sing-box', reverse: true }] },
      'peers[0].url: a sing-box peer sends its token in clear: use https://, or set allow_insecure: true to send it over http:// anyway',
    ],
    [
      { ...base, peers: [{ name: 'sb', token: 'h'.repeat(20), protocol: 'hysteria' }] },
      'peers[0].protocol: expected one of quotamesh|sing-box',
    ],
    [{ ...base, tunnel: { max_streams: 0 } }, 'tunnel.max_streams: Too small: expected number to be >=1'],
    [{ ...base, tunnel: { keepalive_interval_ms: 'often' } }, 'tunnel.keepalive_interval_ms: expected number'],
    [{ ...base, tunnel: { ping_every: 5 } }, 'tunnel.ping_every: unknown key'],
    [{ ...base, users: [{ name: 'alice', token: 'a'.repeat(20), limits: { concurent: 2 } }] }, 'users[0].limits.concurent: unknown key'],
    [
      { ...base, users: [{ name: 'alice', token: 'a'.repeat(20), limits: { concurrent: 0 } }] },
      'users[0].limits.concurrent: Too small: expected number to be >=1',
    ],
    [
      { ...base, peers: [{ name: 'hub', token: 'h'.repeat(20), limits: { requests_per_minute: 1.5 } }] },
      'peers[0].limits.requests_per_minute: expected int',
    ],
    [
      { ...base, users: [{ name: 'alice', token: 'a'.repeat(20), limits: { queue_timeout_ms: 700_000 } }] },
      'users[0].limits.queue_timeout_ms: Too big: expected number to be <=600000',
    ],
    [
      { ...base, claude: { credentials: [{ tag: 'mine', type: 'default', path: '/x', max_concurrent: 0 }] } },
      'claude.credentials[0].max_concurrent: Too small: expected number to be >=1',
    ],
    [{ ...base, admin_token: 'a'.repeat(20) }, 'users[0].token: same token as admin_token; every user, peer and admin needs its own'],
  ])('reports %#: %s', (raw, expected) => {
    expect(problemsOf(raw)).toContain(expected);
  });

  it.each([
    ['http://127.0.0.1:8080', false],
    ['http://localhost:8080', false],
    ['http://[::1]:8080', false],
    ['https://hub.example', false],
    ['http://hub.example:8080', true],
  ])('a sing-box peer at %s over cleartext is refused unless allowed: %s', (url, isRefused) => {
    const peer = { name: 'sb', url, token: 'h'.repeat(20), protocol: 'sing-box' };
    expect(problemsOf({ ...base, peers: [peer] }).some((problem) => problem.startsWith('peers[0].url'))).toBe(isRefused);
    expect(problemsOf({ ...base, peers: [{ ...peer, allow_insecure: true }] })).toEqual([]);
  });

  it('a quotamesh peer over http:// needs no allow_insecure: only an HMAC of its token crosses', () => {
    expect(problemsOf({ ...base, peers: [{ name: 'hub', url: 'http://hub.example:8080', token: 'h'.repeat(20) }] })).toEqual([]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ ...base, listen: 5, log_level: 'loud' });
    expect(problems).toEqual(
      expect.arrayContaining(['listen: expected string', 'log_level: expected one of trace|debug|info|warn|error|fatal|silent']),
    );
  });
});

describe('config limits (issue 15)', () => {
  it('takes five_hour_percent and weekly_percent on users and peers', () => {
    const config = parseConfigValue(
      {
        ...base,
        users: [{ name: 'alice', token: 'a'.repeat(20), limits: { five_hour_percent: 10, weekly_percent: 2.5 } }],
        peers: [{ name: 'lap', token: 'p'.repeat(20), limits: { weekly_percent: 0 } }],
      },
      environment,
    );
    // queue_timeout_ms has its default wherever a limits object is given.
    expect(config.users[0]?.limits).toEqual({ five_hour_percent: 10, weekly_percent: 2.5, queue_timeout_ms: 30_000 });
    expect(config.peers[0]?.limits).toEqual({ weekly_percent: 0, queue_timeout_ms: 30_000 });
  });

  it.each([
    [{ five_hour_percent: 101 }, 'users[0].limits.five_hour_percent: expected number to be <=100'],
    [{ weekly_percent: -1 }, 'users[0].limits.weekly_percent: expected number to be >=0'],
    [{ five_hour: 10 }, 'users[0].limits: unknown key "five_hour"'],
  ])('names the path of a bad limit: %j', (limits, expected) => {
    const problems = problemsOf({ ...base, users: [{ name: 'alice', token: 'a'.repeat(20), limits }] });
    expect(problems.join('\n')).toContain(expected.split(':')[0]);
    expect(problems).toHaveLength(1);
  });
});

describe('config.example.json', () => {
  it('is a valid config once its variables are set', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../../config.example.json', import.meta.url), 'utf8');
    const env = Object.fromEntries(
      ['QM_ADMIN', 'ALICE_TOKEN', 'HUB_LINK', 'BOB_LINK', 'CAROL_LINK', 'ALERT_SECRET'].map((name, index) => [
        name,
        `${name}-${index}-0123456789abcdef`,
      ]),
    );
    const config = parseConfigValue(JSON.parse(text), { env, homeDir: '/home/me', baseDir: '/etc/qm' });
    expect(config.claude?.credentials).toHaveLength(3);
    expect(config.peers.map((peer) => peer.name)).toEqual(['hub', 'bob-laptop', 'carol']);
  });
});
