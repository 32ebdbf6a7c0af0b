import Anthropic from '@anthropic-ai/sdk';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCodexAuthFile } from '../../../src/providers/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { approve, codePageText } from './login-helpers.ts';

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hello' }] };

describe('adding an account from the dashboard (admin API)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function post(
    h: Harness,
    path: string,
    body: unknown,
    token = h.adminToken,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${h.node.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('starts a login, takes the pasted code#state, writes the configured credential file, and serves with it', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const h = harness;
    const started = await post(h, '/v1/admin/login/claude/start', {});
    expect(started.status).toBe(200);
    const link = new URL(String(started.body['authorize_url']));
    expect(link.origin + link.pathname).toBe('https://claude.ai/oauth/authorize');
    expect(started.body['redirect_uri']).toBe('https://platform.claude.com/oauth/code/callback');
    // The node keeps the verifier: only its challenge leaves.
    expect(JSON.stringify(started.body)).not.toMatch(/verifier/);
    // The link is the real vendor's; the simulator plays that page here.

    const location = await approve(`${h.sim.authorizeUrl}${link.search}`);
    const finished = await post(h, '/v1/admin/login/claude/finish', {
      login_id: started.body['login_id'],
      code: codePageText(location),
      credential: 'a',
    });
    expect(finished).toEqual({ status: 200, body: { path: h.credentialPath('a'), credential: 'a', account: 'a@example.com' } });
    expect((await stat(h.credentialPath('a'))).mode & 0o777).toBe(0o600);
    const client = new Anthropic({ baseURL: h.node.url, apiKey: null, authToken: h.userToken, maxRetries: 0 });
    const message = await waitFor(() => client.messages.create(MESSAGE).catch(() => undefined), 'a message through the added account');
    expect(message.content[0]?.type).toBe('text');
  });

  it('is for the admin only', async () => {
    harness = await startHarness();
    expect((await post(harness, '/v1/admin/login/claude/start', {}, harness.userToken)).status).toBe(403);
    expect((await post(harness, '/v1/admin/login/claude/start', {}, 'not-a-token-at-all-xxxx')).status).toBe(401);
    expect((await post(harness, '/v1/admin/login/gemini/start', {})).status).toBe(404);
  });

  it('refuses a code with another state, and the login cannot be retried with it', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const started = await post(harness, '/v1/admin/login/claude/start', {});
    const location = await approve(`${harness.sim.authorizeUrl}${new URL(String(started.body['authorize_url'])).search}`);
    const wrong = await post(harness, '/v1/admin/login/claude/finish', {
      login_id: started.body['login_id'],
      code: `${location.searchParams.get('code') ?? ''}#another-state`,
      credential: 'a',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { message: expect.stringContaining('state in the pasted code does not match') } });
    const again = await post(harness, '/v1/admin/login/claude/finish', {
      login_id: started.body['login_id'],
      code: codePageText(location),
    });
    expect(again.status).toBe(404);
    expect(harness.sim.account('a').counters.logins).toBe(0);
  });

  it('reports a wrong code as the vendor’s refusal', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    const started = await post(harness, '/v1/admin/login/claude/start', {});
    const location = await approve(`${harness.sim.authorizeUrl}${new URL(String(started.body['authorize_url'])).search}`);
    const refused = await post(harness, '/v1/admin/login/claude/finish', {
      login_id: started.body['login_id'],
      code: `wrong-code#${location.searchParams.get('state') ?? ''}`,
      credential: 'a',
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { message: expect.stringContaining('invalid_grant: Invalid authorization code') } });
  });

  it('writes a Codex login under <state_dir>/accounts from the pasted loopback address, never to a path the request names', async () => {
    harness = await startHarness({ codexAccounts: [{ id: 'cx', plan: 'pro' }] });
    const started = await post(harness, '/v1/admin/login/codex/start', {});
    expect(started.body['redirect_uri']).toBe('http://localhost:1455/auth/callback');
    const location = await approve(`${harness.sim.authorizeUrl}${new URL(String(started.body['authorize_url'])).search}`);
    const escape = await post(harness, '/v1/admin/login/codex/finish', {
      login_id: started.body['login_id'],
      code: location.toString(),
      file: '../../outside.json',
    });
    expect(escape.status).toBe(400);
    const finished = await post(harness, '/v1/admin/login/codex/finish', {
      login_id: started.body['login_id'],
      code: location.toString(),
      file: 'second.json',
    });
    expect(finished.status).toBe(200);
    const path = join(harness.dir, 'state', 'accounts', 'second.json');
    expect(finished.body).toMatchObject({ path, credential: null, account: 'cx@example.com' });
    expect(finished.body['note']).toContain('codex.credentials');
    const document = parseCodexAuthFile(await readFile(path, 'utf8'));
    if ('error' in document) throw new Error(document.error);
    expect(document.tokens.accessToken).toBe(harness.sim.codexAccount('cx').accessToken);
  });
});
