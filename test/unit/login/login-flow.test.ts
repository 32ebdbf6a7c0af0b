import { describe, expect, it } from 'vitest';
import { s256Challenge } from '../../../src/lib/index.ts';
import { existingObject, parsePastedCode, stateMismatch } from '../../../src/providers/index.ts';
import { claudeLogin, codexLogin } from '../../../src/providers/index.ts';
import { parseClaudeLoginResponse } from '../../../src/providers/claude/login.ts';
import { parseCodexLoginResponse } from '../../../src/providers/codex/login.ts';
import { oauthErrorText } from '../../../src/providers/login-flow.ts';
import { encodeJwt } from '../../../src/sim/jwt.ts';

const NOW = Date.UTC(2026, 11, 1);

describe('parsePastedCode', () => {
  it.each([
    ['code#state', 'abc#def', { code: 'abc', state: 'def' }],
    ['surrounding whitespace and a newline', '  abc#def \n', { code: 'abc', state: 'def' }],
    ['a callback URL', 'http://localhost:1455/auth/callback?code=c1&state=s1', { code: 'c1', state: 's1' }],
    ['Claude’s code page URL', 'https://platform.claude.com/oauth/code/callback?code=c2&state=s2', { code: 'c2', state: 's2' }],
  ])('reads %s', (_name, input, expected) => {
    expect(parsePastedCode(input)).toEqual(expected);
  });

  it.each([
    ['nothing', '', 'nothing was pasted'],
    ['a bare code (no state to check)', 'abcdef', 'code#state'],
    ['a code with an empty state', 'abc#', 'code#state'],
    ['an empty code', '#state', 'code#state'],
    ['a URL without code', 'http://localhost:1455/auth/callback?state=s', 'has no code'],
    ['a URL without state', 'http://localhost:1455/auth/callback?code=c', 'has no state'],
    [
      'a vendor error URL',
      'http://localhost:1455/auth/callback?error=access_denied&error_description=no%0Athanks',
      'access_denied: no?thanks',
    ],
    ['control characters', 'ab\u0007c#def', 'control characters'],
    ['a megabyte of text', `${'a'.repeat(1_000_000)}#s`, 'too long'],
  ])('refuses %s clearly', (_name, input, message) => {
    const result = parsePastedCode(input);
    expect('error' in result && result.error).toContain(message);
  });
});

describe('stateMismatch', () => {
  it('passes the state this login sent and names any other', () => {
    expect(stateMismatch({ state: 's1' }, 's1')).toBeUndefined();
    expect(stateMismatch({ state: 's1' }, 's2')).toMatch(/does not match this login/);
  });
});

describe('oauthErrorText', () => {
  it.each([
    [
      { error: 'invalid_grant', error_description: 'Invalid code_verifier' },
      'token endpoint answered 400 invalid_grant: Invalid code_verifier',
    ],
    [{ error: { code: 'invalid_grant', message: 'Bad code' } }, 'token endpoint answered 400 invalid_grant: Bad code'],
    [undefined, 'token endpoint answered 400'],
    [{ error: 'x\u001b[31mred', error_description: 'y'.repeat(1000) }, `token endpoint answered 400 x?[31mred: ${'y'.repeat(300)}…`],
  ])('reads %j', (body, expected) => {
    expect(oauthErrorText(400, body as Record<string, unknown> | undefined)).toBe(expected);
  });
});

describe('authorize links', () => {
  it("are Claude Code's: client id, code=true, S256 of the verifier, the state, the given redirect", () => {
    const start = claudeLogin.start(
      { authorizeUrl: 'https://claude.ai/oauth/authorize', tokenUrl: 'x' },
      claudeLogin.pasteRedirectUri ?? '',
    );
    const url = new URL(start.authorizeUrl);
    expect([...url.searchParams.keys()]).toEqual([
      'code',
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'code_challenge',
      'code_challenge_method',
      'state',
    ]);
    expect(url.searchParams.get('code_challenge')).toBe(s256Challenge(start.codeVerifier));
    expect(url.searchParams.get('state')).toBe(start.state);
    expect(url.searchParams.get('redirect_uri')).toBe('https://platform.claude.com/oauth/code/callback');
    expect(start.codeVerifier).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it("are Codex CLI's: its extra parameters and the loopback redirect on 1455", () => {
    const redirect = codexLogin.loopbackRedirectUri(codexLogin.defaultLoopbackPort);
    const start = codexLogin.start(codexLogin.defaultEndpoints, redirect);
    const url = new URL(start.authorizeUrl);
    expect(url.origin + url.pathname).toBe('https://auth.openai.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      redirect_uri: 'http://localhost:1455/auth/callback',
      code_challenge_method: 'S256',
      id_token_add_organizations: 'true',
      codex_cli_simplified_flow: 'true',
      originator: 'codex_cli_rs',
    });
    // Spaces as %20, as Codex's urlencoding writes them.
    expect(start.authorizeUrl).not.toContain('+');
    expect(codexLogin.start(codexLogin.defaultEndpoints, redirect).state).not.toBe(start.state);
  });
});

describe('the credential file a login writes', () => {
  const claudeAnswer = JSON.stringify({
    access_token: 'sk-ant-oat01-new',
    refresh_token: 'sk-ant-ort01-new',
    expires_in: 28800,
    scope: 'user:inference user:profile',
    account: { email_address: 'me@example.com' },
  });

  it("is Claude Code's .credentials.json, keeping every other key of an existing one", () => {
    const result = parseClaudeLoginResponse(200, {}, claudeAnswer, NOW);
    if (result.kind !== 'ok') throw new Error(result.message);
    expect(result.account).toBe('me@example.com');
    expect(JSON.parse(result.fileText(undefined, NOW))).toEqual({
      claudeAiOauth: {
        accessToken: 'sk-ant-oat01-new',
        refreshToken: 'sk-ant-ort01-new',
        expiresAt: NOW + 28_800_000,
        scopes: ['user:inference', 'user:profile'],
      },
    });
    const existing = JSON.stringify({
      mcpOAuth: { x: 1 },
      claudeAiOauth: { accessToken: 'old', subscriptionType: 'max', rateLimitTier: 't' },
    });
    expect(JSON.parse(result.fileText(existing, NOW))).toMatchObject({
      mcpOAuth: { x: 1 },
      claudeAiOauth: { accessToken: 'sk-ant-oat01-new', subscriptionType: 'max', rateLimitTier: 't' },
    });
  });

  it('refuses to replace a file that is not a JSON object', () => {
    expect(() => existingObject('not json', 'a file')).toThrow(/not JSON/);
    expect(() => existingObject('[1]', 'a file')).toThrow(/not a JSON object/);
  });

  it.each([
    ['no refresh token', { access_token: 'a', expires_in: 60 }, 'without a refresh_token'],
    ['a token with a newline', { access_token: 'a\nb', refresh_token: 'r', expires_in: 60 }, 'not printable ASCII'],
    ['no expiry', { access_token: 'a', refresh_token: 'r' }, 'without access_token/expires_in'],
  ])('refuses a Claude answer with %s', (_name, body, message) => {
    const result = parseClaudeLoginResponse(200, {}, JSON.stringify(body), NOW);
    expect(result.kind === 'refused' && result.message).toContain(message);
  });

  it("is Codex's auth.json with the account id from the id token, keeping other keys", () => {
    const idToken = encodeJwt({ email: 'cx@example.com', 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1' } });
    const result = parseCodexLoginResponse(200, {}, JSON.stringify({ id_token: idToken, access_token: 'at', refresh_token: 'rt' }), NOW);
    if (result.kind !== 'ok') throw new Error(result.message);
    expect(result.account).toBe('cx@example.com');
    expect(JSON.parse(result.fileText(undefined, NOW))).toEqual({
      OPENAI_API_KEY: null,
      auth_mode: 'chatgpt',
      tokens: { id_token: idToken, access_token: 'at', refresh_token: 'rt', account_id: 'acct-1' },
      last_refresh: new Date(NOW).toISOString(),
    });
    const existing = JSON.stringify({ OPENAI_API_KEY: 'sk-kept', agent_identity: { a: 1 }, tokens: { extra: true } });
    expect(JSON.parse(result.fileText(existing, NOW))).toMatchObject({
      OPENAI_API_KEY: 'sk-kept',
      agent_identity: { a: 1 },
      tokens: { extra: true, access_token: 'at' },
    });
  });

  it('refuses a Codex answer missing any of its three tokens', () => {
    const result = parseCodexLoginResponse(200, {}, JSON.stringify({ access_token: 'at', refresh_token: 'rt' }), NOW);
    expect(result.kind === 'refused' && result.message).toContain('without id_token, access_token and refresh_token');
  });
});
