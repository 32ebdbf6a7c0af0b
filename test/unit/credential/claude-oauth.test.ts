import { describe, expect, it } from 'vitest';
import {
  canRefresh,
  needsRefresh,
  parseClaudeProfile,
  parseClaudeUsage,
  parseRefreshResponse,
  refreshRequestBody,
  type ClaudeOauth,
} from '../../../src/providers/index.ts';

const NOW = 1_800_000_000_000;
const OAUTH: ClaudeOauth = {
  accessToken: 'sk-ant-oat01-a',
  refreshToken: 'sk-ant-ort01-r',
  expiresAt: NOW + 3_600_000,
  scopes: ['user:inference', 'user:profile'],
  subscriptionType: 'max',
  rateLimitTier: 'default_claude_max_20x',
};

describe('Claude OAuth refresh rules', () => {
  it.each([
    ['an hour left', NOW + 3_600_000, false],
    ['six minutes left', NOW + 6 * 60_000, false],
    ['four minutes left', NOW + 4 * 60_000, true],
    ['expired', NOW - 1, true],
    ['never expiring (0)', 0, false],
  ])('needsRefresh with %s', (_name, expiresAt, expected) => {
    expect(needsRefresh({ ...OAUTH, expiresAt }, NOW)).toBe(expected);
  });

  it.each([
    ['a full login', OAUTH, true],
    ['a setup token without refresh token', { ...OAUTH, refreshToken: undefined }, false],
    ['scopes without user:inference', { ...OAUTH, scopes: ['user:profile'] }, false],
    ['unknown scopes', { ...OAUTH, scopes: [] }, true],
  ])('canRefresh for %s', (_name, oauth, expected) => {
    expect(canRefresh(oauth)).toBe(expected);
  });

  it('sends the scope string Claude Code sends', () => {
    expect(refreshRequestBody(OAUTH)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'sk-ant-ort01-r',
      client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      scope: 'user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload',
    });
  });

  it.each([
    [
      '200',
      200,
      {},
      '{"access_token":"new","refresh_token":"rt2","expires_in":28800,"scope":"user:inference user:profile"}',
      { kind: 'ok', accessToken: 'new', refreshToken: 'rt2', expiresAt: NOW + 28_800_000, scopes: ['user:inference', 'user:profile'] },
    ],
    [
      '200 without refresh_token',
      200,
      {},
      '{"access_token":"new","expires_in":60}',
      { kind: 'ok', refreshToken: undefined, scopes: undefined },
    ],
    ['200 garbage', 200, {}, '<html>', { kind: 'failed' }],
    ['429 with Retry-After', 429, { 'retry-after': '120' }, '{}', { kind: 'rate_limited', retryAfterMs: 120_000 }],
    ['429 bare', 429, {}, '', { kind: 'rate_limited', retryAfterMs: undefined }],
    ['400 invalid_grant', 400, {}, '{"error":"invalid_grant","error_description":"Invalid refresh token"}', { kind: 'rejected' }],
    ['400 nested invalid_grant', 400, {}, '{"error":{"type":"invalid_grant"}}', { kind: 'rejected' }],
    ['400 INVALID_GRANT (any case)', 400, {}, '{"error":"INVALID_GRANT"}', { kind: 'rejected' }],
    ['400 nested Invalid_Grant', 400, {}, '{"error":{"code":"Invalid_Grant"}}', { kind: 'rejected' }],
    ['500', 500, {}, 'oops', { kind: 'failed' }],
  ])('parses a token response: %s', (_name, status, headers, body, expected) => {
    expect(parseRefreshResponse(status, new Headers(headers), body, NOW)).toMatchObject(expected);
  });
});

describe('Claude usage and profile parsing', () => {
  it('reads percent windows and ISO resets, skipping null windows', () => {
    expect(
      parseClaudeUsage(
        {
          five_hour: { utilization: 42.5, resets_at: '2026-11-21T17:00:00.123456+00:00' },
          seven_day: null,
          seven_day_opus: { utilization: 'x' },
        },
        NOW / 1000,
      ),
    ).toEqual({ fiveHour: { utilization: 42.5, resetAt: Date.UTC(2026, 10, 21, 17) / 1000 } });
  });

  it.each([null, 'x', [], 7])('tolerates garbage: %s', (body) => {
    expect(parseClaudeUsage(body, NOW / 1000)).toBeUndefined();
  });

  it('reads an unknown reset as 0 and clamps utilization', () => {
    expect(parseClaudeUsage({ five_hour: { utilization: 140, resets_at: null } }, NOW / 1000)).toEqual({
      fiveHour: { utilization: 100, resetAt: 0 },
    });
  });

  it('maps the profile organization to the credential file vocabulary', () => {
    expect(parseClaudeProfile({ organization: { organization_type: 'claude_max', rate_limit_tier: 'default_claude_max_5x' } })).toEqual({
      subscriptionType: 'max',
      rateLimitTier: 'default_claude_max_5x',
    });
    expect(parseClaudeProfile({ account: {} })).toBeUndefined();
  });
});
