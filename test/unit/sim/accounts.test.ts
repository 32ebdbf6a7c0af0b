import { describe, expect, it } from 'vitest';
import { claudeCredentialFile, createAccount, normalizeSpecs } from '../../../src/sim/claude/accounts.ts';

describe('claudeCredentialFile', () => {
  it('has the exact ~/.claude/.credentials.json shape', () => {
    const account = createAccount({ plan: 'max5x', expiresAt: 123 }, 0, 0, 1000);
    expect(claudeCredentialFile(account)).toEqual({
      claudeAiOauth: {
        accessToken: account.accessToken,
        refreshToken: account.refreshToken,
        expiresAt: 123,
        scopes: ['user:inference', 'user:profile', 'user:sessions:claude_code', 'user:mcp_servers', 'user:file_upload'],
        subscriptionType: 'max',
        rateLimitTier: 'default_claude_max_5x',
      },
    });
    expect(account.accessToken).toMatch(/^sk-ant-oat01-/);
    expect(account.refreshToken).toMatch(/^sk-ant-ort01-/);
  });

  it.each([
    ['max20x', 'max', 'default_claude_max_20x'],
    ['pro', 'pro', 'default_claude_pro'],
  ] as const)('%s → %s / %s', (plan, subscriptionType, rateLimitTier) => {
    const file = claudeCredentialFile(createAccount({ plan }, 0, 0, 1000));
    expect(file.claudeAiOauth).toMatchObject({ subscriptionType, rateLimitTier });
  });

  it('a setup token has no refresh token and inference scope only', () => {
    const file = claudeCredentialFile(createAccount({ isSetupToken: true }, 0, 0, 1000));
    expect(file.claudeAiOauth.refreshToken).toBe('');
    expect(file.claudeAiOauth.scopes).toEqual(['user:inference']);
  });
});

describe('normalizeSpecs', () => {
  it('a count cycles through the plans', () => {
    expect(normalizeSpecs(4).map((spec) => spec.plan)).toEqual(['max20x', 'max5x', 'pro', 'max20x']);
  });

  it('defaults to one account', () => {
    expect(normalizeSpecs(undefined)).toHaveLength(1);
  });

  it('default ids count from 1', () => {
    expect(createAccount({}, 1, 0, 1000).id).toBe('account-2');
  });
});
