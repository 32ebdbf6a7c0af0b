import { describe, expect, it } from 'vitest';
import { redactConfig } from '../../../src/node/index.ts';

const config = {
  admin_token: 'admin-token-0123456789',
  users: [{ name: 'alice', token: 'alice-token-0123456789' }],
  peers: [{ name: 'hub', token: 'link-token-0123456789', url: 'https://hub.example' }],
  alerts: [{ url: 'https://hooks.example/x', secret: 'hmac-secret-0123456789' }],
  claude: { credentials: [{ tag: 'mine', type: 'default', path: '/c.json' }] },
};

describe('redactConfig', () => {
  it('replaces every token and secret, at any depth, and nothing else', () => {
    const redacted = redactConfig(config, 'salt') as typeof config;
    const text = JSON.stringify(redacted);
    for (const secret of ['admin-token-0123456789', 'alice-token-0123456789', 'link-token-0123456789', 'hmac-secret-0123456789']) {
      expect(text).not.toContain(secret);
    }
    expect(redacted.admin_token).toMatch(/^fingerprint:[0-9a-f]{16}$/);
    expect(redacted.peers[0]?.url).toBe('https://hub.example');
    // A chat webhook's URL is its secret; a peer's URL is an address.
    expect(text).not.toContain('hooks.example');
    expect(redacted.alerts[0]?.url).toMatch(/^fingerprint:[0-9a-f]{16}$/);
    expect(redacted.claude).toEqual(config.claude);
  });

  it('gives equal secrets equal fingerprints under one salt, and different ones under another', () => {
    const once = redactConfig(config, 'salt') as typeof config;
    const again = redactConfig(structuredClone(config), 'salt') as typeof config;
    const otherSalt = redactConfig(config, 'pepper') as typeof config;
    expect(again).toEqual(once);
    expect(otherSalt.users[0]?.token).not.toBe(once.users[0]?.token);
    const changed = redactConfig({ ...config, admin_token: 'admin-token-0123456780' }, 'salt') as typeof config;
    expect(changed.admin_token).not.toBe(once.admin_token);
  });
});
