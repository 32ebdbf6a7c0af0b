import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_IDENTITY, ENTITLEMENT_MESSAGES, LONG_CONTEXT_BETA, startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { codexAuthHeaders, postResponses } from './codex-fixture.ts';
import { OAUTH_BETA, UNIFIED, messageBody, oauthHeaders, postMessages } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<Simulator> {
  sim = await startSimulator({ accounts: [{ id: 'a' }], codexAccounts: [{ id: 'cx' }], chunkDelayMs: 1 });
  return sim;
}

async function control(path: string, body: unknown): Promise<Response> {
  return fetch(`${(sim as Simulator).url}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) });
}

describe('refusals about the request, not the account', () => {
  it('a 1M-context request without extra usage gets 429 with the windows allowed; extra usage lets it through', async () => {
    const s = await start();
    const send = () =>
      fetch(`${s.url}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { ...oauthHeaders(s.account('a').accessToken), 'anthropic-beta': `${OAUTH_BETA},${LONG_CONTEXT_BETA}` },
        body: messageBody(),
      });
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error', message: ENTITLEMENT_MESSAGES.longContext },
    });
    expect(refused.headers.get(`${UNIFIED}-status`)).toBe('allowed');
    expect(refused.headers.get(`${UNIFIED}-5h-status`)).toBe('allowed');
    expect(refused.headers.get(`${UNIFIED}-7d-status`)).toBe('allowed');
    expect((await control('accounts/a/settings', { hasExtraUsage: true })).status).toBe(200);
    expect((await send()).status).toBe(200);
  });

  it('fast mode without usage credits gets 429 "Usage credits are required for fast mode"', async () => {
    const s = await start();
    const refused = await postMessages(s, s.account('a').accessToken, messageBody({ speed: 'fast' }));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { type: 'rate_limit_error', message: ENTITLEMENT_MESSAGES.fastMode } });
    expect(refused.headers.get(`${UNIFIED}-5h-status`)).toBe('allowed');
    expect((await postMessages(s, s.account('a').accessToken)).status).toBe(200);
  });

  it('with the Claude-Code-only switch, an OAuth request without Claude Code beta and identity line gets 403', async () => {
    const s = await start();
    expect((await control('accounts/a/settings', { requiresClaudeCode: true })).status).toBe(200);
    const plain = await postMessages(s, s.account('a').accessToken);
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ error: { type: 'permission_error', message: ENTITLEMENT_MESSAGES.claudeCodeOnly } });
    const looksLikeClaudeCode = await postMessages(
      s,
      s.account('a').accessToken,
      messageBody({ system: [{ type: 'text', text: `${CLAUDE_CODE_IDENTITY}.` }] }),
    );
    expect(looksLikeClaudeCode.status).toBe(200);
  });

  it('a disabled organization gets 403 on every request until switched back', async () => {
    const s = await start();
    s.setSettings('a', { isDisabled: true });
    const refused = await postMessages(s, s.account('a').accessToken);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { type: 'permission_error', message: ENTITLEMENT_MESSAGES.disabled } });
    s.setSettings('a', { isDisabled: false });
    expect((await postMessages(s, s.account('a').accessToken)).status).toBe(200);
  });

  it('a ChatGPT plan without Codex gets 429 usage_not_included, with no window said to be spent', async () => {
    const s = await start();
    expect((await control('codex-accounts/cx/settings', { includesCodex: false })).status).toBe(200);
    const refused = await postResponses(s, codexAuthHeaders(s.codexAccount('cx')));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { type: 'usage_not_included' } });
    expect([...refused.headers.keys()].filter((name) => name.startsWith('x-codex-'))).toEqual([]);
    s.setCodexSettings('cx', { includesCodex: true });
    expect((await postResponses(s, codexAuthHeaders(s.codexAccount('cx')))).status).toBe(200);
  });

  it('the settings route refuses unknown settings and non-booleans', async () => {
    await start();
    expect((await control('accounts/a/settings', { hasExtraUsage: 'yes' })).status).toBe(400);
    expect((await control('accounts/a/settings', { bogus: true })).status).toBe(400);
    expect((await control('codex-accounts/cx/settings', { hasExtraUsage: true })).status).toBe(400);
  });
});

describe('per-model weekly windows', () => {
  it('an account whose Opus week is spent refuses Opus with seven_day_opus and the shared windows allowed, and keeps serving Sonnet', async () => {
    const s = await start();
    expect(
      (await fetch(`${s.url}/_sim/accounts/a/usage`, { method: 'POST', body: JSON.stringify({ opusWeeklyUtilization: 100 }) })).status,
    ).toBe(200);
    const opus = await postMessages(s, s.account('a').accessToken, messageBody({ model: 'claude-opus-4-5' }));
    expect(opus.status).toBe(429);
    expect(opus.headers.get(`${UNIFIED}-status`)).toBe('rejected');
    expect(opus.headers.get(`${UNIFIED}-representative-claim`)).toBe('seven_day_opus');
    expect(opus.headers.get(`${UNIFIED}-7d_oi-status`)).toBe('rejected');
    expect(opus.headers.get(`${UNIFIED}-5h-status`)).toBe('allowed');
    expect(opus.headers.get(`${UNIFIED}-7d-status`)).toBe('allowed');
    const sonnet = await postMessages(s, s.account('a').accessToken, messageBody({ model: 'claude-sonnet-4-5' }));
    expect(sonnet.status).toBe(200);
    expect(sonnet.headers.get(`${UNIFIED}-7d_sonnet-status`)).toBe('allowed');
  });
});

describe('a Codex extra limit family', () => {
  it('a spent family refuses its models with usage_limit_reached and x-codex-active-limit naming it; other models are served', async () => {
    sim = await startSimulator({
      accounts: [{ id: 'a' }],
      codexAccounts: [
        {
          id: 'cx',
          extraLimit: { family: 'codex-bengalfox', limitName: 'GPT-5.3-Codex-Spark', modelPrefix: 'gpt-5.3-codex-spark', usedPercent: 50 },
        },
      ],
      chunkDelayMs: 1,
    });
    const s = sim;
    const spark = JSON.stringify({ model: 'gpt-5.3-codex-spark', input: [{ role: 'user', content: 'hi' }], stream: true });
    const served = await postResponses(s, codexAuthHeaders(s.codexAccount('cx')), spark);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-codex-active-limit')).toBe('codex-bengalfox');
    expect(served.headers.get('x-codex-bengalfox-primary-used-percent')).toBe('50');
    await served.arrayBuffer();
    expect((await control('codex-accounts/cx/usage', { extraLimitUsedPercent: 100 })).status).toBe(200);
    const refused = await postResponses(s, codexAuthHeaders(s.codexAccount('cx')), spark);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({
      error: { type: 'usage_limit_reached', resets_at: Math.floor(s.codexAccount('cx').weeklyResetAtMs / 1000) },
    });
    expect(refused.headers.get('x-codex-active-limit')).toBe('codex-bengalfox');
    expect(refused.headers.get('x-codex-bengalfox-limit-name')).toBe('GPT-5.3-Codex-Spark');
    expect(Number(refused.headers.get('x-codex-primary-used-percent'))).toBeLessThan(100);
    expect((await postResponses(s, codexAuthHeaders(s.codexAccount('cx')))).status).toBe(200);
  });
});
