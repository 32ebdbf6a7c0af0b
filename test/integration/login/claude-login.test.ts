import Anthropic from '@anthropic-ai/sdk';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseClaudeCredentialFile } from '../../../src/providers/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { approve, codePageText, startLogin } from './login-helpers.ts';

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello' }] };

function client(harness: Harness): Anthropic {
  return new Anthropic({ baseURL: harness.node.url, apiKey: null, authToken: harness.userToken, maxRetries: 0 });
}

describe('quotamesh login claude (paste the code)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  function login(h: Harness, extra: { path?: string; credential?: string; configPath?: string } = {}) {
    return startLogin({
      provider: 'claude',
      ...(extra.credential === undefined ? { path: extra.path ?? h.credentialPath('a') } : {}),
      ...extra,
      authorizeUrl: h.sim.authorizeUrl,
      tokenUrl: h.sim.tokenUrl,
    });
  }

  it("writes Claude Code's credential file (0600) that a running node then serves with", async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const run = login(harness);
    const link = new URL(await run.link());
    // The link is Claude Code's: its client id, S256, the code page as redirect, a state.
    expect(link.searchParams.get('client_id')).toBe('9d1c250a-e61b-44d9-88ed-5944d1962f5e');
    expect(link.searchParams.get('code')).toBe('true');
    expect(link.searchParams.get('code_challenge_method')).toBe('S256');
    expect(link.searchParams.get('redirect_uri')).toBe('https://platform.claude.com/oauth/code/callback');
    expect(link.searchParams.get('scope')).toContain('user:inference');
    const location = await approve(link.toString());
    run.input.write(`${codePageText(location)}\n`);
    expect(await run.done).toBe(0);
    expect(run.output()).toContain('Logged in as a@example.com');

    const path = harness.credentialPath('a');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const document = parseClaudeCredentialFile(await readFile(path, 'utf8'));
    if ('error' in document) throw new Error(document.error);
    expect(document.oauth.accessToken).toBe(harness.sim.account('a').accessToken);
    expect(document.oauth.refreshToken).toBe(harness.sim.account('a').refreshToken);
    expect(document.oauth.scopes).toContain('user:inference');
    expect(harness.sim.account('a').counters.logins).toBe(1);

    const h = harness;
    const message = await waitFor(
      () =>
        client(h)
          .messages.create(MESSAGE)
          .catch(() => undefined),
      'a message through the new login',
    );
    expect(message.content[0]?.type).toBe('text');
  });

  it("takes Claude Code's loopback redirect when asked for a callback port", async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const run = startLogin({
      provider: 'claude',
      path: harness.credentialPath('a'),
      callbackPort: 0,
      authorizeUrl: harness.sim.authorizeUrl,
      tokenUrl: harness.sim.tokenUrl,
    });
    const link = new URL(await run.link());
    expect(link.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/callback$/);
    const location = await approve(link.toString());
    location.hostname = '127.0.0.1';
    expect((await fetch(location)).status).toBe(200);
    expect(await run.done).toBe(0);
    expect(harness.sim.account('a').counters.logins).toBe(1);
  });

  it('refuses a code whose state is not this login’s, before redeeming it', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const run = login(harness);
    const location = await approve(await run.link());
    run.input.write(`${location.searchParams.get('code') ?? ''}#some-other-state\n`);
    expect(await run.done).toBe(1);
    expect(run.output()).toMatch(/login refused: the state in the pasted code does not match this login/);
    expect(harness.sim.account('a').counters.logins).toBe(0);
    await expect(stat(harness.credentialPath('a'))).rejects.toThrow(/ENOENT/);
  });

  it('reports a wrong code as the token endpoint’s refusal', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const run = login(harness);
    const location = await approve(await run.link());
    run.input.write(`not-the-code#${location.searchParams.get('state') ?? ''}\n`);
    expect(await run.done).toBe(1);
    expect(run.output()).toContain('login refused: token endpoint answered 400 invalid_grant: Invalid authorization code');
    await expect(stat(harness.credentialPath('a'))).rejects.toThrow(/ENOENT/);
  });

  it('re-authenticates a configured credential in place when its refresh token is dead, keeping the other keys', async () => {
    harness = await startHarness();
    const path = harness.credentialPath('a');
    const original = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
    await writeFile(path, JSON.stringify({ ...original, mcpOAuth: { kept: true } }), { mode: 0o600 });
    harness.sim.revokeToken('a');
    harness.sim.expireToken('a');
    const h = harness;
    await waitFor(
      async () =>
        (await client(h)
          .messages.create(MESSAGE)
          .catch((error: { status?: number }) => error)) instanceof Error,
      'the revoked credential to fail',
    );

    const configPath = join(harness.dir, 'quotamesh.json');
    await writeFile(
      configPath,
      JSON.stringify({
        users: [{ name: 'me', token: 'u'.repeat(24) }],
        claude: {
          oauth_url: harness.sim.tokenUrl,
          authorize_url: harness.sim.authorizeUrl,
          credentials: [{ tag: 'a', type: 'default', path }],
        },
      }),
    );
    // Both endpoints come from the config's claude section.
    const run = startLogin({ provider: 'claude', credential: 'a', configPath });
    run.input.write(`${codePageText(await approve(await run.link()))}\n`);
    expect(await run.done).toBe(0);
    const rewritten = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(rewritten['mcpOAuth']).toEqual({ kept: true });
    expect(rewritten['claudeAiOauth']?.['subscriptionType']).toBe(original['claudeAiOauth']?.['subscriptionType']);
    expect(rewritten['claudeAiOauth']?.['accessToken']).toBe(harness.sim.account('a').accessToken);
    const message = await waitFor(
      () =>
        client(h)
          .messages.create(MESSAGE)
          .catch(() => undefined),
      'a message after the re-login',
    );
    expect(message.content[0]?.type).toBe('text');
  });

  it('refuses an unknown provider and --device for Claude as usage errors', async () => {
    harness = await startHarness();
    await expect(startLogin({ provider: 'gemini' }).done).rejects.toThrow('login needs a provider: claude or codex');
    await expect(startLogin({ provider: 'claude', device: true }).done).rejects.toThrow('--device is Codex-only');
  });

  it('will not overwrite a --path that is not a JSON object', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const path = join(harness.dir, 'notes.txt');
    await writeFile(path, 'my notes');
    const run = login(harness, { path });
    await expect(run.done).rejects.toThrow(/not JSON/);
    expect(await readFile(path, 'utf8')).toBe('my notes');
  });
});
