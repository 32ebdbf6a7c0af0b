import { describe, expect, it } from 'vitest';
import {
  CODEX_REFRESH_AGE_MS,
  codexNeedsRefresh,
  codexPlanWeight,
  decodeJwtPayload,
  OPENAI_AUTH_CLAIM,
  parseCodexAuthFile,
  serializeCodexAuthFile,
  type CodexAuthDocument,
} from '../../../src/providers/index.ts';

const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);

/** An unsigned JWT: only the payload matters to a client that decodes without verifying. */
function jwt(payload: Record<string, unknown>): string {
  return ['{"alg":"none"}', JSON.stringify(payload), 'sig']
    .map((part, index) => (index === 2 ? part : Buffer.from(part).toString('base64url')))
    .join('.');
}

const idToken = jwt({ email: 'a@example.com', [OPENAI_AUTH_CLAIM]: { chatgpt_account_id: 'acct-from-claim', chatgpt_plan_type: 'pro' } });
const accessToken = jwt({ exp: NOW_MS / 1000 + 3600, [OPENAI_AUTH_CLAIM]: { chatgpt_plan_type: 'plus' } });

/** What Codex writes, plus keys this code does not know, which a rewrite must keep. */
const fileObject = {
  auth_mode: 'chatgpt',
  OPENAI_API_KEY: null,
  tokens: { id_token: idToken, access_token: accessToken, refresh_token: 'rt_1', account_id: 'acct-1', future_token_field: { keep: true } },
  last_refresh: new Date(NOW_MS - 3600_000).toISOString(),
  agent_identity: { id: 'x' },
};

function parse(object: unknown): CodexAuthDocument {
  const parsed = parseCodexAuthFile(JSON.stringify(object));
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

describe('parseCodexAuthFile', () => {
  it('reads tokens, account, plan (id_token first) and exp', () => {
    const document = parse(fileObject);
    expect(document.tokens).toEqual({
      accessToken,
      refreshToken: 'rt_1',
      idToken,
      accountId: 'acct-1',
      expiresAtMs: NOW_MS + 3600_000,
      planType: 'pro',
    });
    expect(document.lastRefreshMs).toBe(NOW_MS - 3600_000);
  });

  it('takes the account id from the id_token claim when tokens.account_id is missing', () => {
    const { account_id: _dropped, ...tokens } = fileObject.tokens;
    expect(parse({ ...fileObject, tokens }).tokens.accountId).toBe('acct-from-claim');
  });

  it('tolerates opaque tokens and a garbled last_refresh', () => {
    const document = parse({ tokens: { access_token: 'opaque', id_token: 'not.a-jwt' }, last_refresh: 'yesterday' });
    expect(document.tokens).toMatchObject({
      accessToken: 'opaque',
      expiresAtMs: undefined,
      planType: undefined,
      accountId: undefined,
      refreshToken: undefined,
    });
    expect(document.lastRefreshMs).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'not valid JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['API-key mode', JSON.stringify({ OPENAI_API_KEY: 'sk-x', tokens: null }), 'no tokens object'],
    ['no access token', JSON.stringify({ tokens: { refresh_token: 'rt' } }), 'tokens.access_token missing'],
  ])('%s is an error, not a throw', (_name, text, message) => {
    const parsed = parseCodexAuthFile(text);
    expect('error' in parsed && parsed.error).toContain(message);
  });
});

describe('serializeCodexAuthFile', () => {
  it('replaces only the returned tokens, sets last_refresh, keeps every unknown key', () => {
    const text = serializeCodexAuthFile(parse(fileObject), { accessToken: 'new-access', refreshToken: 'rt_2' }, NOW_MS);
    expect(JSON.parse(text)).toEqual({
      ...fileObject,
      tokens: { ...fileObject.tokens, access_token: 'new-access', refresh_token: 'rt_2' },
      last_refresh: new Date(NOW_MS).toISOString(),
    });
    expect(text.endsWith('\n')).toBe(true);
  });

  it('keeps the old refresh token when the answer has none', () => {
    const text = serializeCodexAuthFile(parse(fileObject), { accessToken: 'new-access' }, NOW_MS);
    expect((JSON.parse(text) as typeof fileObject).tokens.refresh_token).toBe('rt_1');
  });
});

describe('codexNeedsRefresh', () => {
  const tokens = parse(fileObject).tokens;
  it.each([
    { name: 'fresh', expiresAtMs: NOW_MS + 3600_000, lastRefreshMs: NOW_MS - 3600_000, expected: false },
    // A readable exp decides alone, as Codex CLI does: an old last_refresh does not matter.
    {
      name: 'exp ahead, last_refresh 9 days old',
      expiresAtMs: NOW_MS + 3600_000,
      lastRefreshMs: NOW_MS - CODEX_REFRESH_AGE_MS - 86_400_000,
      expected: false,
    },
    { name: 'exp ahead, last_refresh unknown', expiresAtMs: NOW_MS + 3600_000, lastRefreshMs: undefined, expected: false },
    { name: 'exp passed though refreshed recently', expiresAtMs: NOW_MS - 1, lastRefreshMs: NOW_MS - 60_000, expected: true },
    { name: 'exp exactly now', expiresAtMs: NOW_MS, lastRefreshMs: NOW_MS - 60_000, expected: true },
    { name: 'no exp, recent refresh', expiresAtMs: undefined, lastRefreshMs: NOW_MS - 60_000, expected: false },
    { name: 'no exp, last_refresh exactly 8 days', expiresAtMs: undefined, lastRefreshMs: NOW_MS - CODEX_REFRESH_AGE_MS, expected: false },
    { name: 'no exp, last_refresh over 8 days', expiresAtMs: undefined, lastRefreshMs: NOW_MS - CODEX_REFRESH_AGE_MS - 1, expected: true },
    { name: 'no exp, last_refresh unknown', expiresAtMs: undefined, lastRefreshMs: undefined, expected: false },
  ])('$name → $expected', ({ expiresAtMs, lastRefreshMs, expected }) => {
    expect(codexNeedsRefresh({ ...tokens, expiresAtMs }, lastRefreshMs, NOW_MS)).toBe(expected);
  });
});

describe('codexPlanWeight', () => {
  it.each([
    ['pro', 10],
    ['PRO', 10],
    ['prolite', 5],
    ['plus', 1],
    ['team', 1],
    ['free', 1],
    [undefined, 1],
  ])('%s → %d', (plan, weight) => {
    expect(codexPlanWeight(plan)).toBe(weight);
  });
});

describe('decodeJwtPayload', () => {
  it.each(['', 'a', 'a.b.c', 'a.%%%.c', `x.${Buffer.from('[1]').toString('base64url')}.y`])('%s → undefined', (token) => {
    expect(decodeJwtPayload(token)).toBeUndefined();
  });
});
