import { describe, expect, it } from 'vitest';
import { describeChange, diffConfig, isEmptyChange, parseConfigValue, type Config } from '../../../src/node/index.ts';
import { effectiveConfig } from '../../../src/node/config-diff.ts';

const environment = { env: {}, homeDir: '/home/me', baseDir: '/etc/qm' };
const token = (letter: string): string => letter.repeat(20);

const base = {
  name: 'hub',
  listen: '127.0.0.1:8787',
  admin_token: token('z'),
  users: [
    { name: 'alice', token: token('a') },
    { name: 'bob', token: token('b'), claude: 'mine' },
  ],
  peers: [
    { name: 'laptop', token: token('l'), share: { claude: 'mine' } },
    { name: 'office', url: 'https://office.example', token: token('o'), reverse: true },
  ],
  claude: {
    route: 'pool',
    credentials: [
      { tag: 'mine', type: 'default', path: '/c/mine.json' },
      { tag: 'laptop', type: 'external', peer: 'laptop' },
      { tag: 'pool', type: 'balancer', credentials: ['mine', 'laptop'] },
    ],
  },
};

function parse(raw: object): Config {
  return parseConfigValue(raw, environment);
}

/** The base config with `edit` applied to a deep copy. */
function edited(edit: (raw: typeof base & Record<string, unknown>) => void): Config {
  const raw = structuredClone(base) as typeof base & Record<string, unknown>;
  edit(raw);
  return parse(raw);
}

describe('diffConfig', () => {
  it('finds nothing between a config and itself parsed again', () => {
    const change = diffConfig(parse(base), parse(base));
    expect(isEmptyChange(change)).toBe(true);
    expect(describeChange(change)).toEqual([]);
  });

  const cases: Array<{ name: string; edit: (raw: typeof base & Record<string, unknown>) => void; lines: string[] }> = [
    {
      name: 'a user added',
      edit: (raw) => raw.users.push({ name: 'carol', token: token('c') }),
      lines: ['+ users.carol'],
    },
    { name: 'a user removed', edit: (raw) => raw.users.splice(1, 1), lines: ['- users.bob'] },
    {
      name: "a user's token changed (named, never shown)",
      edit: (raw) => (raw.users[0]!.token = token('x')),
      lines: ['~ users.alice (token)'],
    },
    {
      name: 'a user reordered only',
      edit: (raw) => raw.users.reverse(),
      lines: [],
    },
    {
      name: 'a key the diff has no code for, inside an entry',
      edit: (raw) => Object.assign(raw.users[1]!, { allow_external_usage: true, claude: 'pool' }),
      lines: ['~ users.bob (allow_external_usage, claude)'],
    },
    {
      name: 'a peer removed, with the external credential and balancer member that name it',
      edit: (raw) => {
        raw.peers.splice(0, 1);
        raw.claude.credentials.splice(1, 1);
        raw.claude.credentials[1] = { tag: 'pool', type: 'balancer', credentials: ['mine'] };
      },
      lines: ['- peers.laptop', '- claude.credentials.laptop', '~ claude.credentials.pool (credentials)'],
    },
    {
      name: 'a connector peer added',
      edit: (raw) => raw.peers.push({ name: 'cloud', url: 'https://cloud.example', token: token('k'), reverse: true }),
      lines: ['+ peers.cloud'],
    },
    {
      name: "a peer's share changed",
      edit: (raw) => (raw.peers[0]!.share = { claude: 'pool' }),
      lines: ['~ peers.laptop (share)'],
    },
    {
      name: 'a credential added',
      edit: (raw) => raw.claude.credentials.splice(1, 0, { tag: 'second', type: 'default', path: '/c/second.json' }),
      lines: ['+ claude.credentials.second'],
    },
    {
      name: "a credential's cap changed",
      edit: (raw) => Object.assign(raw.claude.credentials[0]!, { reserve_weekly: 20 }),
      lines: ['~ claude.credentials.mine (reserve_weekly)'],
    },
    {
      name: "a balancer's strategy changed",
      edit: (raw) => Object.assign(raw.claude.credentials[2]!, { strategy: 'fallback' }),
      lines: ['~ claude.credentials.pool (strategy)'],
    },
    {
      name: "the section's route and api_url changed",
      edit: (raw) => Object.assign(raw.claude, { route: 'mine', api_url: 'http://127.0.0.1:9' }),
      lines: ['~ claude (route, api_url)'],
    },
    {
      name: 'a provider section added',
      edit: (raw) => Object.assign(raw, { codex: { credentials: [{ tag: 'cx', type: 'default', path: '/c/auth.json' }] } }),
      lines: ['+ codex'],
    },
    {
      name: 'the admin token and the request budget changed (applied live)',
      edit: (raw) => Object.assign(raw, { admin_token: token('y'), request_budget: { concurrent: 10 } }),
      lines: ['~ admin_token', '~ request_budget'],
    },
    {
      name: 'an alert receiver added (applied live)',
      edit: (raw) => Object.assign(raw, { alerts: [{ url: 'https://hooks.example/quotamesh' }] }),
      lines: ['~ alerts'],
    },
    {
      name: 'listen and tls changed (restart)',
      edit: (raw) => Object.assign(raw, { listen: '0.0.0.0:8787', tls: { cert: '/t/c.pem', key: '/t/k.pem' } }),
      lines: ['! listen (needs a restart)', '! tls (needs a restart)'],
    },
    {
      name: 'the node name, state_dir, log level and tunnel bounds changed (restart)',
      edit: (raw) => Object.assign(raw, { name: 'hub2', state_dir: '/var/qm', log_level: 'debug', tunnel: { max_streams: 8 } }),
      lines: ['! name (needs a restart)', '! state_dir (needs a restart)', '! log_level (needs a restart)', '! tunnel (needs a restart)'],
    },
  ];

  it.each(cases)('$name', ({ edit, lines }) => {
    const change = diffConfig(parse(base), edited(edit));
    expect(describeChange(change)).toEqual(lines);
    expect(isEmptyChange(change)).toBe(lines.length === 0);
  });

  it('lists a top-level key it does not know as needing a restart', () => {
    const before = parse(base);
    const after = { ...before, some_future_key: [{ url: 'http://x' }] } as unknown as Config;
    expect(diffConfig(before, after).restartRequired).toEqual(['some_future_key']);
  });

  it('compares a new key inside an entry without code for it (e.g. limits)', () => {
    const before = parse(base);
    const after = { ...before, users: [before.users[0], { ...before.users[1], limits: { concurrent: 2 } }] } as unknown as Config;
    expect(diffConfig(before, after).users.changed).toEqual([{ key: 'bob', fields: ['limits'] }]);
  });

  it('keeps the running value of every key needing a restart, and takes the rest', () => {
    const running = parse(base);
    const next = edited((raw) => {
      raw.listen = '0.0.0.0:9999';
      raw.users.push({ name: 'carol', token: token('c') });
    });
    const effective = effectiveConfig(running, next, diffConfig(running, next));
    expect(effective.listen).toBe('127.0.0.1:8787');
    expect(effective.users.map((user) => user.name)).toEqual(['alice', 'bob', 'carol']);
    expect(Object.isFrozen(effective)).toBe(true);
    // A second reload of the same file says the listener still waits for a restart.
    expect(describeChange(diffConfig(effective, next))).toEqual(['! listen (needs a restart)']);
  });
});
