import { describe, expect, it } from 'vitest';
import { codexAdapter, codexEventOutcome } from '../../../src/providers/index.ts';
import { CODEX_OAUTH_CLIENT_ID, codexRefreshRequestBody, parseCodexRefreshResponse } from '../../../src/providers/index.ts';
import { parseCodexHeaders } from '../../../src/providers/index.ts';
import { parseCodexUsage } from '../../../src/providers/index.ts';

const NOW = 1_795_300_000;
const NOW_MS = NOW * 1000;

describe('codex token refresh', () => {
  it('sends what Codex sends', () => {
    expect(codexRefreshRequestBody('rt')).toEqual({ client_id: CODEX_OAUTH_CLIENT_ID, grant_type: 'refresh_token', refresh_token: 'rt' });
    expect(CODEX_OAUTH_CLIENT_ID).toBe('app_EMoamEEZ73f0CkXaXp7hrann');
  });

  it.each([
    {
      name: 'all three tokens',
      status: 200,
      body: { id_token: 'i', access_token: 'a', refresh_token: 'r' },
      expected: { kind: 'ok', idToken: 'i', accessToken: 'a', refreshToken: 'r' },
    },
    {
      name: 'no refresh token: keep the old',
      status: 200,
      body: { access_token: 'a' },
      expected: { kind: 'ok', accessToken: 'a', refreshToken: undefined, idToken: undefined },
    },
    { name: 'a 200 without tokens', status: 200, body: {}, expected: { kind: 'failed' } },
    { name: 'reused (nested code)', status: 400, body: { error: { code: 'refresh_token_reused' } }, expected: { kind: 'rejected' } },
    { name: 'expired (string error)', status: 400, body: { error: 'refresh_token_expired' }, expected: { kind: 'rejected' } },
    { name: 'invalidated (top-level code)', status: 400, body: { code: 'refresh_token_invalidated' }, expected: { kind: 'rejected' } },
    { name: 'any 401', status: 401, body: { error: { code: 'something_new' } }, expected: { kind: 'rejected' } },
    { name: 'other 400', status: 400, body: { error: 'invalid_request' }, expected: { kind: 'failed' } },
    { name: 'reused, upper case', status: 400, body: { error: { code: 'REFRESH_TOKEN_REUSED' } }, expected: { kind: 'rejected' } },
    { name: 'expired, mixed case', status: 400, body: { error: 'Refresh_Token_Expired' }, expected: { kind: 'rejected' } },
    { name: '400 invalid_grant, any case', status: 400, body: { error: 'INVALID_GRANT' }, expected: { kind: 'rejected' } },
    { name: '5xx', status: 503, body: 'oops', expected: { kind: 'failed' } },
  ])('$name', ({ status, body, expected }) => {
    expect(parseCodexRefreshResponse(status, {}, typeof body === 'string' ? body : JSON.stringify(body), NOW_MS)).toMatchObject(expected);
  });

  it('reads Retry-After on a 429', () => {
    expect(parseCodexRefreshResponse(429, { 'retry-after': '30' }, '', NOW_MS)).toEqual({ kind: 'rate_limited', retryAfterMs: 30_000 });
    expect(parseCodexRefreshResponse(429, {}, '', NOW_MS)).toEqual({ kind: 'rate_limited', retryAfterMs: undefined });
  });
});

describe('parseCodexUsage', () => {
  const window = (used: number, seconds: number, resetAt: number): Record<string, number> => ({
    used_percent: used,
    limit_window_seconds: seconds,
    reset_after_seconds: resetAt - NOW,
    reset_at: resetAt,
  });

  it.each([
    {
      name: 'primary 5 h + secondary weekly',
      body: {
        plan_type: 'plus',
        rate_limit: { primary_window: window(10, 18_000, NOW + 100), secondary_window: window(20, 604_800, NOW + 200) },
      },
      expected: { planType: 'plus', fiveHour: { utilization: 10, resetAt: NOW + 100 }, weekly: { utilization: 20, resetAt: NOW + 200 } },
    },
    {
      name: 'weekly-only plan reads as weekly',
      body: { plan_type: 'pro', rate_limit: { primary_window: window(33, 604_800, NOW + 300), secondary_window: null } },
      expected: { planType: 'pro', weekly: { utilization: 33, resetAt: NOW + 300 } },
    },
    {
      name: 'reset_after_seconds only',
      body: { rate_limit: { primary_window: { used_percent: 1, limit_window_seconds: 18_000, reset_after_seconds: 60 } } },
      expected: { fiveHour: { utilization: 1, resetAt: NOW + 60 } },
    },
    { name: 'everything null', body: { plan_type: null, rate_limit: null, credits: null }, expected: {} },
    { name: 'garbage windows', body: { rate_limit: { primary_window: { used_percent: 'x' }, secondary_window: 5 } }, expected: {} },
  ])('$name', ({ body, expected }) => {
    expect(parseCodexUsage(body, NOW)).toEqual(expected);
  });

  it.each([null, [], 'x', 3])('%j is not a usage body', (body) => {
    expect(parseCodexUsage(body, NOW)).toBeUndefined();
  });
});

describe('codexAdapter', () => {
  it('keeps the client identity, drops its auth and account, adds the credential headers', () => {
    const headers = codexAdapter.requestHeaders(
      {
        authorization: 'Bearer user-token',
        'x-api-key': 'k',
        'chatgpt-account-id': 'client-account',
        session_id: 's-1',
        originator: 'codex_cli_rs',
        'user-agent': 'codex_cli_rs/0.50.0',
        'accept-encoding': 'gzip, zstd',
        connection: 'keep-alive',
        'x-forwarded-for': '1.2.3.4',
        'content-type': 'application/json',
      },
      { authorization: 'Bearer access', 'chatgpt-account-id': 'acct-1' },
      true,
    );
    expect(headers).toEqual({
      authorization: 'Bearer access',
      'chatgpt-account-id': 'acct-1',
      session_id: 's-1',
      originator: 'codex_cli_rs',
      'user-agent': 'codex_cli_rs/0.50.0',
      'content-type': 'application/json',
    });
  });
});

describe('codexEventOutcome', () => {
  it('turns codex.rate_limits into a 200 whose headers parse back to the same windows', () => {
    const event = {
      type: 'codex.rate_limits',
      plan_type: 'pro',
      rate_limits: { primary: { used_percent: 8, window_minutes: 10080, reset_at: NOW + 999 }, secondary: null },
    };
    const outcome = codexEventOutcome(event, NOW);
    expect(outcome?.status).toBe(200);
    expect(parseCodexHeaders(outcome?.headers ?? {}, NOW)).toEqual({ weekly: { utilization: 8, resetAt: NOW + 999 }, planType: 'pro' });
  });

  it('turns a 429 error event into a 429 carrying the event as body', () => {
    const event = { type: 'error', status: 429, error: { type: 'usage_limit_reached', resets_at: NOW + 60 } };
    expect(codexEventOutcome(event, NOW)).toEqual({ status: 429, headers: {}, body: JSON.stringify(event) });
  });

  it.each([{ type: 'response.created' }, { type: 'error', status: 500 }, null, 'x', []])('%j is no outcome', (event) => {
    expect(codexEventOutcome(event, NOW)).toBeUndefined();
  });
});
