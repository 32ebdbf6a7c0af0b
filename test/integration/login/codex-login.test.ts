import OpenAI from 'openai';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigValue, startNode } from '../../../src/node/index.ts';
import { parseCodexAuthFile } from '../../../src/providers/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { approve, startLogin } from './login-helpers.ts';

/** The loopback redirect as a browser on this machine follows it (`localhost` is 127.0.0.1 here). */
function loopback(location: URL): string {
  const url = new URL(location);
  url.hostname = '127.0.0.1';
  return url.toString();
}

describe('quotamesh login codex', () => {
  let harness: Harness | undefined;
  let sim: Simulator | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await harness?.close();
    await sim?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    harness = undefined;
    sim = undefined;
    dir = undefined;
  });

  /** A node whose one Codex credential points at a file that does not exist yet. */
  async function nodeWithoutCodexFile(): Promise<{ harness: Harness; path: string }> {
    dir = await mkdtemp(join(tmpdir(), 'qm-login-'));
    const path = join(dir, 'codex-home', 'auth.json');
    const started = await startHarness({ codexAccounts: [{ id: 'cx', plan: 'pro' }] });
    await started.node.close();
    harness = started;
    const config = parseConfigValue(
      {
        name: 'login-node',
        listen: '127.0.0.1:0',
        state_dir: join(dir, 'state'),
        users: [{ name: 'alice', token: started.userToken }],
        codex: {
          api_url: started.sim.codexApiUrl,
          usage_url: started.sim.codexUsageUrl,
          oauth_url: started.sim.codexTokenUrl,
          credentials: [{ tag: 'mine', type: 'default', path }],
        },
      },
      { env: {}, homeDir: dir, baseDir: dir },
    );
    // Its log lines join the harness's, which close() scans for tokens.
    const { logger, lines } = capturingLogger();
    lines.push = (...added: string[]): number => started.logs.push(...added);
    started.node = await startNode(config, { drainMs: 1000, logger });
    return { harness: started, path };
  }

  function codexClient(h: Harness): OpenAI {
    return new OpenAI({ baseURL: `${h.node.url}/v1`, apiKey: h.userToken, maxRetries: 0 });
  }

  it("takes the browser's return on the loopback listener and writes Codex's auth.json, which a running node then serves with", async () => {
    const { harness: h, path } = await nodeWithoutCodexFile();
    const run = startLogin({ provider: 'codex', path, callbackPort: 0, authorizeUrl: h.sim.authorizeUrl, tokenUrl: h.sim.codexTokenUrl });
    const link = new URL(await run.link());
    expect(link.searchParams.get('client_id')).toBe('app_EMoamEEZ73f0CkXaXp7hrann');
    expect(link.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    expect(link.searchParams.get('codex_cli_simplified_flow')).toBe('true');
    expect(link.searchParams.get('originator')).toBe('codex_cli_rs');
    expect(link.toString()).toContain('scope=openid%20profile%20email%20offline_access');

    const location = await approve(link.toString(), 'cx');
    const page = await fetch(loopback(location));
    expect(page.status).toBe(200);
    expect(await run.done).toBe(0);

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(raw).toMatchObject({ auth_mode: 'chatgpt', OPENAI_API_KEY: null });
    expect(typeof raw['last_refresh']).toBe('string');
    const document = parseCodexAuthFile(await readFile(path, 'utf8'));
    if ('error' in document) throw new Error(document.error);
    const account = h.sim.codexAccount('cx');
    expect(document.tokens).toMatchObject({
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      accountId: account.accountId,
    });

    const answer = await waitFor(
      () =>
        codexClient(h)
          .responses.create({ model: 'gpt-5-codex', input: 'hello' })
          .catch(() => undefined),
      'a Codex answer through the new login',
    );
    expect(answer.output_text.length).toBeGreaterThan(0);
  });

  it('answers a callback with another state 400 and keeps waiting for the right one', async () => {
    const { harness: h, path } = await nodeWithoutCodexFile();
    const run = startLogin({ provider: 'codex', path, callbackPort: 0, authorizeUrl: h.sim.authorizeUrl, tokenUrl: h.sim.codexTokenUrl });
    const location = await approve(await run.link(), 'cx');
    const forged = new URL(loopback(location));
    forged.searchParams.set('state', 'forged');
    const refused = await fetch(forged);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe('State mismatch');
    expect(h.sim.codexAccount('cx').counters.logins).toBe(0);
    expect((await fetch(loopback(location))).status).toBe(200);
    expect(await run.done).toBe(0);
  });

  it('reports the login page refusing (error on the callback) without redeeming anything', async () => {
    const { harness: h, path } = await nodeWithoutCodexFile();
    const run = startLogin({ provider: 'codex', path, callbackPort: 0, authorizeUrl: h.sim.authorizeUrl, tokenUrl: h.sim.codexTokenUrl });
    const link = new URL(await run.link());
    const callback = new URL(link.searchParams.get('redirect_uri') ?? '');
    callback.hostname = '127.0.0.1';
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'The user said no',
      state: link.searchParams.get('state') ?? '',
    }).toString();
    expect((await fetch(callback)).status).toBe(400);
    expect(await run.done).toBe(1);
    expect(run.output()).toContain('login refused: the login page answered access_denied: The user said no');
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('takes the callback address pasted from another machine’s browser', async () => {
    const { harness: h, path } = await nodeWithoutCodexFile();
    const run = startLogin({ provider: 'codex', path, callbackPort: 0, authorizeUrl: h.sim.authorizeUrl, tokenUrl: h.sim.codexTokenUrl });
    const location = await approve(await run.link(), 'cx');
    run.input.write(`${location.toString()}\n`);
    expect(await run.done).toBe(0);
    expect(h.sim.codexAccount('cx').counters.logins).toBe(1);
  });

  it('refuses a pasted address whose state is not this login’s', async () => {
    const { harness: h, path } = await nodeWithoutCodexFile();
    const run = startLogin({ provider: 'codex', path, callbackPort: 0, authorizeUrl: h.sim.authorizeUrl, tokenUrl: h.sim.codexTokenUrl });
    const location = await approve(await run.link(), 'cx');
    location.searchParams.set('state', 'old-tab');
    run.input.write(`${location.toString()}\n`);
    expect(await run.done).toBe(1);
    expect(run.output()).toContain('the state in the pasted code does not match this login');
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('logs in with a device code', async () => {
    sim = await startSimulator({ accounts: [], codexAccounts: [{ id: 'cx', plan: 'plus' }], codexDeviceIntervalSeconds: 1 });
    dir = await mkdtemp(join(tmpdir(), 'qm-login-'));
    const path = join(dir, 'auth.json');
    const run = startLogin({ provider: 'codex', path, device: true, authorizeUrl: sim.authorizeUrl, tokenUrl: sim.codexTokenUrl });
    expect(await run.link()).toBe(`${sim.url}/codex/device`);
    const userCode = await waitFor(() => /^\s+([A-Z0-9]{4}-[A-Z0-9]{5})$/m.exec(run.output())?.[1], 'the user code');
    const approved = await fetch(`${sim.url}/codex/device?user_code=${userCode}`);
    expect(approved.status).toBe(200);
    expect(await run.done).toBe(0);
    const document = parseCodexAuthFile(await readFile(path, 'utf8'));
    if ('error' in document) throw new Error(document.error);
    expect(document.tokens.accessToken).toBe(sim.codexAccount('cx').accessToken);
  });
});
