import { describe, expect, it } from 'vitest';
import { refusalMessage, type RefusalScope, type UpstreamOutcome } from '../../../src/pool/index.ts';
import { claudeRefusalScope } from '../../../src/providers/claude/refusal.ts';
import { codexRefusalScope } from '../../../src/providers/codex/refusal.ts';

const anthropic = (type: string, message: string): string =>
  JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });
const unified = (fields: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).map(([name, value]) => [`anthropic-ratelimit-unified-${name}`, value]));
const allowed = unified({
  status: 'allowed',
  '5h-status': 'allowed',
  '7d-status': 'allowed',
  '5h-utilization': '0.2',
  '7d-utilization': '0.3',
});

describe('claudeRefusalScope', () => {
  const cases: Array<[string, UpstreamOutcome, RefusalScope]> = [
    [
      '5h rejected',
      {
        status: 429,
        headers: unified({ status: 'rejected', '5h-status': 'rejected', '7d-status': 'allowed' }),
        body: anthropic('rate_limit_error', 'x'),
      },
      'account',
    ],
    [
      '7d rejected even with a request-scoped message',
      {
        status: 429,
        headers: unified({ '7d-status': 'rejected' }),
        body: anthropic('rate_limit_error', 'Usage credits are required for fast mode'),
      },
      'account',
    ],
    [
      'fast mode, windows allowed',
      { status: 429, headers: allowed, body: anthropic('rate_limit_error', 'Usage credits are required for fast mode') },
      'request',
    ],
    [
      'long context, windows allowed',
      { status: 429, headers: allowed, body: anthropic('rate_limit_error', 'Extra usage is required for long context requests') },
      'request',
    ],
    [
      'fast mode with no unified headers (a peer relayed it)',
      { status: 429, headers: {}, body: anthropic('rate_limit_error', 'Usage credits are required for fast mode') },
      'request',
    ],
    [
      'no unified headers, unknown message: not known to be the request',
      { status: 429, headers: {}, body: anthropic('rate_limit_error', 'This request would exceed your rate limit.') },
      'account',
    ],
    ['no headers, no body', { status: 429, headers: {} }, 'account'],
    [
      'Opus weekly claim with shared windows allowed',
      {
        status: 429,
        headers: unified({ status: 'rejected', 'representative-claim': 'seven_day_opus', '5h-status': 'allowed', '7d-status': 'allowed' }),
        body: anthropic('rate_limit_error', 'x'),
      },
      'model',
    ],
    [
      '7d_oi window rejected',
      { status: 429, headers: unified({ status: 'rejected', '5h-status': 'allowed', '7d-status': 'allowed', '7d_oi-status': 'rejected' }) },
      'model',
    ],
    ['rejected overall, nothing says which: the account', { status: 429, headers: unified({ status: 'rejected' }) }, 'account'],
    ['windows allowed, unknown 429', { status: 429, headers: allowed, body: anthropic('rate_limit_error', 'x') }, 'model'],
    [
      'Claude-Code-only 403',
      {
        status: 403,
        headers: {},
        body: anthropic(
          'permission_error',
          'This credential is only authorized for use with Claude Code and cannot be used for other API requests.',
        ),
      },
      'request',
    ],
    [
      'Claude-Code-only 400',
      {
        status: 400,
        headers: {},
        body: anthropic(
          'invalid_request_error',
          'This credential is only authorized for use with Claude Code and cannot be used for other API requests.',
        ),
      },
      'request',
    ],
    [
      'organization disabled',
      { status: 403, headers: {}, body: anthropic('permission_error', 'This organization has been disabled.') },
      'disabled',
    ],
    [
      'OAuth not allowed for the organization',
      {
        status: 403,
        headers: {},
        body: anthropic('permission_error', 'OAuth authentication is currently not allowed for this organization.'),
      },
      'disabled',
    ],
    [
      'revoked token 403 stays the account (token recovery)',
      { status: 403, headers: {}, body: anthropic('permission_error', 'OAuth token has been revoked. Please obtain a new token.') },
      'account',
    ],
    [
      'a model the org lacks is not an org ban',
      { status: 403, headers: {}, body: anthropic('permission_error', 'Model claude-opus-4 is not allowed for this organization.') },
      'account',
    ],
    ['529', { status: 529, headers: {} }, 'account'],
  ];
  it.each(cases)('%s', (_name, outcome, scope) => {
    expect(claudeRefusalScope(outcome)).toBe(scope);
  });
});

describe('codexRefusalScope', () => {
  it.each<[string, UpstreamOutcome, RefusalScope]>([
    [
      'usage_not_included',
      { status: 429, headers: {}, body: JSON.stringify({ error: { type: 'usage_not_included', message: 'no' } }) },
      'request',
    ],
    [
      'usage_limit_reached',
      { status: 429, headers: {}, body: JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: 1 } }) },
      'account',
    ],
    ['garbage body', { status: 429, headers: {}, body: '<html>' }, 'account'],
    [
      'usage_limit_reached for another active family, codex windows fine',
      {
        status: 429,
        headers: {
          'x-codex-active-limit': 'codex_bengalfox',
          'x-codex-primary-used-percent': '40',
          'x-codex-bengalfox-primary-used-percent': '100',
        },
        body: JSON.stringify({ error: { type: 'usage_limit_reached' } }),
      },
      'model',
    ],
    [
      'usage_limit_reached for another family but the codex week spent too',
      {
        status: 429,
        headers: { 'x-codex-active-limit': 'codex-bengalfox', 'x-codex-secondary-used-percent': '100' },
        body: JSON.stringify({ error: { type: 'usage_limit_reached' } }),
      },
      'account',
    ],
    [
      'usage_limit_reached with active limit codex',
      { status: 429, headers: { 'x-codex-active-limit': 'codex' }, body: JSON.stringify({ error: { type: 'usage_limit_reached' } }) },
      'account',
    ],
    ['500', { status: 500, headers: {}, body: JSON.stringify({ error: { type: 'usage_not_included' } }) }, 'account'],
  ])('%s', (_name, outcome, scope) => {
    expect(codexRefusalScope(outcome)).toBe(scope);
  });
});

describe('refusalMessage', () => {
  it('reads error.message of both shapes, bounded and without control characters', () => {
    expect(refusalMessage(anthropic('permission_error', 'This organization has been disabled.'))).toBe(
      'This organization has been disabled.',
    );
    expect(refusalMessage(JSON.stringify({ error: { message: 'a\u001b[31mb\nc' } }))).toBe('a [31mb c');
    expect(refusalMessage(JSON.stringify({ error: { message: 'x'.repeat(10_000) } }))?.length).toBe(200);
    expect(refusalMessage('not json')).toBeUndefined();
    expect(refusalMessage(JSON.stringify({ error: { message: 42 } }))).toBeUndefined();
    expect(refusalMessage(undefined)).toBeUndefined();
  });
});
