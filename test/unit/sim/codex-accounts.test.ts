import { describe, expect, it } from 'vitest';
import { codexAuthFile, createCodexAccount, normalizeCodexSpecs } from '../../../src/sim/codex/accounts.ts';
import { decodeJwtPayload, encodeJwt } from '../../../src/sim/jwt.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
const DAY_MS = 24 * 60 * 60 * 1000;

describe('codexAuthFile', () => {
  it('has the exact ~/.codex/auth.json shape', () => {
    const account = createCodexAccount({ plan: 'pro', accountId: 'acct-1' }, 0, NOW_MS, 10 * DAY_MS);
    expect(codexAuthFile(account)).toEqual({
      auth_mode: 'chatgpt',
      OPENAI_API_KEY: null,
      tokens: {
        id_token: account.idToken,
        access_token: account.accessToken,
        refresh_token: account.refreshToken,
        account_id: 'acct-1',
      },
      last_refresh: '2026-11-21T12:00:00.000Z',
    });
  });

  it('issues an access token whose exp is the account expiry', () => {
    const account = createCodexAccount({}, 0, NOW_MS, 10 * DAY_MS);
    expect(account.accessToken.split('.')).toHaveLength(3);
    expect(decodeJwtPayload(account.accessToken)).toMatchObject({ exp: (NOW_MS + 10 * DAY_MS) / 1000 });
  });

  it('carries the OpenAI auth claim and email in the id_token', () => {
    const account = createCodexAccount({ id: 'x', plan: 'prolite' }, 0, NOW_MS, DAY_MS);
    expect(decodeJwtPayload(account.idToken)).toMatchObject({
      email: 'x@example.com',
      'https://api.openai.com/auth': {
        chatgpt_account_id: account.accountId,
        chatgpt_plan_type: 'prolite',
        chatgpt_user_id: account.userId,
      },
    });
  });

  it('starts expired when asked, with exp in the past', () => {
    const account = createCodexAccount({ expiresAt: NOW_MS - 1000 }, 0, NOW_MS, DAY_MS);
    expect(Number(decodeJwtPayload(account.accessToken)?.['exp'])).toBeLessThan(NOW_MS / 1000);
  });
});

describe('normalizeCodexSpecs', () => {
  it.each([
    [undefined, []],
    [0, []],
    [3, ['plus', 'pro', 'plus']],
  ])('%s → plans %j', (count, plans) => {
    expect(normalizeCodexSpecs(count).map((spec) => spec.plan)).toEqual(plans);
  });
});

describe('jwt', () => {
  it.each(['not-a-jwt', 'a.!!!.c', `x.${Buffer.from('[1]').toString('base64url')}.y`])('decodes %s to undefined', (token) => {
    expect(decodeJwtPayload(token)).toBeUndefined();
  });

  it('round-trips a payload', () => {
    expect(decodeJwtPayload(encodeJwt({ a: 1 }))).toEqual({ a: 1 });
  });
});
