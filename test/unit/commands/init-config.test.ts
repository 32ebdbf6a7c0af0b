import { describe, expect, it } from 'vitest';
import { renderInitConfig, type InitPlan } from '../../../src/commands/init-config.ts';
import { parseConfigText } from '../../../src/node/config-load.ts';

const environment = { env: {}, homeDir: '/home/me', baseDir: '/etc/qm' };
const tokens = { adminToken: 'admin-token-0123456789', userToken: 'user-token-0123456789', linkToken: 'link-token-0123456789' };
const hub: InitPlan = { role: 'hub', name: 'hub', listen: '0.0.0.0:8787', ...tokens };
const laptop: InitPlan = {
  role: 'laptop',
  name: 'laptop',
  listen: '127.0.0.1:8787',
  ...tokens,
  hubUrl: 'https://hub.example:8787',
  claudePath: '~/.claude/.credentials.json',
};

describe('renderInitConfig', () => {
  it.each([
    ['a hub without logins of its own', hub],
    ['a hub logged in to Claude and Codex', { ...hub, claudePath: '~/.claude/.credentials.json', codexPath: '~/.codex/auth.json' }],
    ['a laptop with Claude', laptop],
    ['a laptop with Claude and Codex', { ...laptop, codexPath: '~/.codex/auth.json' }],
  ])('writes %s as a config the loader accepts, a comment above every key', (_name, plan) => {
    const text = renderInitConfig(plan);
    expect(() => parseConfigText(text, environment)).not.toThrow();
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (/^ {2}"[a-z_]+":/.test(line)) expect(lines[index - 1], `the line above ${line}`).toMatch(/^ {2}\/\/ /);
    });
  });

  it("gives a hub the laptop's capacity, and a balancer with its own login when it has one", () => {
    const bare = parseConfigText(renderInitConfig(hub), environment);
    expect(bare.peers).toEqual([expect.objectContaining({ name: 'laptop', token: tokens.linkToken })]);
    expect(bare.claude?.credentials).toEqual([expect.objectContaining({ tag: 'laptop', type: 'external', peer: 'laptop' })]);
    expect(bare.users[0]).toMatchObject({ token: tokens.userToken, allow_external_usage: true });
    const own = parseConfigText(renderInitConfig({ ...hub, claudePath: '~/.claude/.credentials.json' }), environment);
    expect(own.claude?.route).toBe('pool');
    expect(own.claude?.credentials.map((credential) => credential.tag)).toEqual(['hub', 'laptop', 'pool']);
  });

  it('makes a laptop dial the hub with the link token and share what it is logged in to', () => {
    const config = parseConfigText(renderInitConfig({ ...laptop, codexPath: '~/.codex/auth.json' }), environment);
    expect(config.peers[0]).toMatchObject({
      name: 'hub',
      url: 'https://hub.example:8787',
      token: tokens.linkToken,
      reverse: true,
      share: { claude: 'mine', codex: 'mine-codex' },
    });
    expect(config.claude?.credentials[0]).toMatchObject({ type: 'default', path: '/home/me/.claude/.credentials.json' });
    expect(config.codex?.credentials[0]).toMatchObject({ type: 'default', path: '/home/me/.codex/auth.json' });
    expect(config.listen).toBe('127.0.0.1:8787');
  });
});
