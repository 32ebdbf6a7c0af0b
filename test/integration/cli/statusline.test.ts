import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../../src/status/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { accountServing, postSessionMessage } from '../../helpers/session-message.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { CLAUDE_CODE_KEPT_ESCAPES, claudeCodeInput, runLikeClaudeCode, type StatuslineRun } from './claude-code-statusline.ts';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');
// Exactly what a user puts in settings.json's statusLine.command, with absolute paths.
const COMMAND = `"${process.execPath}" "${BIN}" statusline`;

/** Counts the requests a node gets, and can hold them (to show that nobody waits on a refresh). */
interface CountingProxy {
  url: string;
  count: number;
  hold: boolean;
  held: number;
  release(): void;
  close(): Promise<void>;
}

async function startCountingProxy(target: string): Promise<CountingProxy> {
  const waiting: Array<() => void> = [];
  const forward = (incoming: import('node:http').IncomingMessage, outgoing: import('node:http').ServerResponse): void => {
    const upstream = httpRequest(
      new URL(incoming.url ?? '/', target),
      { method: incoming.method, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };
  const server: Server = createServer((incoming, outgoing) => {
    proxy.count += 1;
    if (!proxy.hold) return forward(incoming, outgoing);
    proxy.held += 1;
    waiting.push(() => forward(incoming, outgoing));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const proxy: CountingProxy = {
    url: `http://127.0.0.1:${address.port}`,
    count: 0,
    hold: false,
    held: 0,
    release: () => {
      proxy.hold = false;
      for (const go of waiting.splice(0)) go();
    },
    close: async () => {
      proxy.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

const HOUR = 3600;

describe('quotamesh statusline, run as Claude Code runs it', () => {
  let harness: Harness;
  let proxy: CountingProxy;
  let scratch: string;
  const sessionA = randomUUID();
  const sessionB = randomUUID();

  const sendMessage = (sessionId: string): Promise<void> =>
    postSessionMessage(harness, sessionId, { 'x-claude-code-session-id': sessionId });
  const servingAccount = (sessionId: string): string | undefined => accountServing(harness, sessionId);

  async function poolAsUser(): Promise<ProviderStatus> {
    const response = await fetch(`${harness.node.url}/v1/status?provider=claude`, {
      headers: { authorization: `Bearer ${harness.userToken}` },
    });
    return (await response.json()) as ProviderStatus;
  }

  async function freshCacheDir(): Promise<string> {
    return mkdtemp(join(scratch, 'cache-'));
  }

  function run(sessionId: string, env: Record<string, string | undefined>): Promise<StatuslineRun> {
    const base = { PATH: process.env.PATH, HOME: scratch, NO_COLOR: '1' };
    return runLikeClaudeCode(COMMAND, claudeCodeInput(sessionId, scratch), { ...base, ...env }, scratch);
  }

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'qm-statusline-'));
    const nowMs = Date.now();
    harness = await startHarness({
      accounts: [
        { id: 'first', plan: 'max20x', fiveHourUtilization: 12, weeklyUtilization: 40 },
        { id: 'second', plan: 'max20x', fiveHourUtilization: 30, weeklyUtilization: 20 },
      ],
      // Round-robin so that two sessions land on two different accounts.
      claude: (credentials) => ({
        credentials: [
          ...credentials,
          { tag: 'pool', type: 'balancer', strategy: 'round-robin', credentials: credentials.map((c) => c.tag) },
        ],
        route: 'pool',
      }),
    });
    harness.sim.setUsage('first', { fiveHourResetAtMs: nowMs + 2 * HOUR * 1000, weeklyResetAtMs: nowMs + 100 * HOUR * 1000 });
    harness.sim.setUsage('second', { fiveHourResetAtMs: nowMs + 3 * HOUR * 1000, weeklyResetAtMs: nowMs + 120 * HOUR * 1000 });
    await sendMessage(sessionA);
    await sendMessage(sessionB);
    await waitFor(async () => (await poolAsUser()).five_hour_reset > 0 && (await poolAsUser()).weekly_reset > 0, {
      message: 'the pool to report both resets',
    });
    proxy = await startCountingProxy(harness.node.url);
  });

  afterAll(async () => {
    await proxy?.close();
    await harness?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('prints the pool and the account serving this session on one line, exit 0', async () => {
    const pool = await poolAsUser();
    const result = await run(sessionA, {
      QUOTAMESH_URL: harness.node.url,
      QUOTAMESH_TOKEN: harness.userToken,
      QUOTAMESH_CACHE_DIR: await freshCacheDir(),
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
    const account = servingAccount(sessionA);
    expect(account).toBeDefined();
    expect(result.text).toMatch(
      new RegExp(
        `^pool 5h ${Math.round(pool.five_hour_utilization)}% resets \\d+h\\d\\dm · week ${Math.round(pool.weekly_utilization)}% resets \\d+d\\d\\dh · account ${account}$`,
      ),
    );
  });

  it('names each session its own account', async () => {
    const cache = await freshCacheDir();
    const env = { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: cache };
    const accountA = servingAccount(sessionA);
    const accountB = servingAccount(sessionB);
    expect(new Set([accountA, accountB])).toEqual(new Set(['first', 'second']));
    expect((await run(sessionA, env)).text).toMatch(new RegExp(`· account ${accountA}$`));
    // The second session is not in the cache yet: the line shows the pool, a refresh learns it.
    await waitFor(async () => (await run(sessionB, env)).text?.endsWith(`· account ${accountB}`), {
      message: 'the status line to name the account of session B',
    });
  });

  it('leaves the account out for a session the node has not seen', async () => {
    const result = await run(randomUUID(), {
      QUOTAMESH_URL: harness.node.url,
      QUOTAMESH_TOKEN: harness.userToken,
      QUOTAMESH_CACHE_DIR: await freshCacheDir(),
    });
    expect(result.status).toBe(0);
    expect(result.text).toMatch(/^pool 5h \d+% .* · week \d+% [^·]*$/);
  });

  it('works from the ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN Claude Code passes on', async () => {
    const result = await run(sessionA, {
      ANTHROPIC_BASE_URL: harness.node.url,
      ANTHROPIC_AUTH_TOKEN: harness.userToken,
      QUOTAMESH_CACHE_DIR: await freshCacheDir(),
    });
    expect(result.text).toMatch(new RegExp(`^pool 5h .* · account ${servingAccount(sessionA)}$`));
  });

  it('colours with SGR sequences only (what Claude Code keeps), and none under NO_COLOR', async () => {
    const cache = await freshCacheDir();
    const coloured = await run(sessionA, {
      QUOTAMESH_URL: harness.node.url,
      QUOTAMESH_TOKEN: harness.userToken,
      QUOTAMESH_CACHE_DIR: cache,
      NO_COLOR: '',
    });
    expect(coloured.text).toContain('\x1b[');
    const withoutKept = coloured.text?.replace(CLAUDE_CODE_KEPT_ESCAPES, '') ?? '';
    expect(withoutKept).not.toContain('\x1b');
    const plain = await run(sessionA, { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: cache });
    expect(plain.text).toBe(withoutKept);
  });

  it('answers a warm run from the cache without asking the node', async () => {
    const env = { QUOTAMESH_URL: proxy.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: await freshCacheDir() };
    const cold = await run(sessionA, env);
    const asked = proxy.count;
    expect(asked).toBeGreaterThan(0);
    const warm = await run(sessionA, env);
    expect(warm.text).toBe(cold.text);
    expect(proxy.count).toBe(asked);
    console.info(`statusline: cold run ${cold.elapsedMs.toFixed(0)} ms, warm run ${warm.elapsedMs.toFixed(0)} ms (process start included)`);
  });

  it('a stale cache is still printed at once while a detached refresher asks the node', async () => {
    const cache = await freshCacheDir();
    const env = { QUOTAMESH_URL: proxy.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: cache };
    const first = await run(sessionA, env);
    const [file] = (await readdir(cache)).filter((name) => name.endsWith('.json'));
    const path = join(cache, file ?? 'missing');
    const stored = JSON.parse(await readFile(path, 'utf8')) as { fetchedAtMs: number };
    await writeFile(path, JSON.stringify({ ...stored, fetchedAtMs: 1 }));
    // The node answers nothing until released: if the refresh held our stdout, this run would
    // never close, and Claude Code would show nothing.
    proxy.hold = true;
    const heldBefore = proxy.held;
    const stale = await run(sessionA, env);
    expect(stale.status).toBe(0);
    expect(stale.text).toBe(first.text);
    await waitFor(() => proxy.held > heldBefore, { message: 'the proxy to hold the request of the refresher' });
    proxy.release();
    await waitFor(async () => (JSON.parse(await readFile(path, 'utf8')) as { fetchedAtMs: number }).fetchedAtMs > 1, {
      message: 'the cache file to be refreshed',
    });
    await waitFor(async () => !(await readdir(cache)).some((name) => name.endsWith('.lock')), {
      message: 'the refresher to drop its lock file',
    });
  });

  it('says "quotamesh: offline" and exits 0 when the node is down, then stops asking for a while', async () => {
    const dead = await startCountingProxy('http://127.0.0.1:9');
    const deadUrl = dead.url;
    await dead.close();
    const env = { QUOTAMESH_URL: deadUrl, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: await freshCacheDir(), NO_COLOR: '' };
    const result = await run(sessionA, env);
    expect(result.status).toBe(0);
    expect(result.text).toBe('\x1b[2mquotamesh: offline\x1b[0m');
    const again = await run(sessionA, env);
    expect(again.text).toBe(result.text);
  });

  it('says offline when the node refuses the token, and hints when there is no token at all', async () => {
    const refused = await run(sessionA, {
      QUOTAMESH_URL: harness.node.url,
      QUOTAMESH_TOKEN: 'nobody-0123456789abcdefghij',
      QUOTAMESH_CACHE_DIR: await freshCacheDir(),
    });
    expect(refused.text).toBe('quotamesh: offline');
    const missing = await run(sessionA, { QUOTAMESH_URL: harness.node.url, QUOTAMESH_CACHE_DIR: await freshCacheDir() });
    expect(missing.status).toBe(0);
    expect(missing.text).toBe('quotamesh: no token (set QUOTAMESH_TOKEN)');
  });

  it('garbage on stdin or in the cache file costs the account name, never the line', async () => {
    const cache = await freshCacheDir();
    const env = { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: cache };
    const huge = await runLikeClaudeCode(
      COMMAND,
      { session_id: sessionA, padding: 'x'.repeat(2 * 1024 * 1024) },
      { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      scratch,
    );
    expect(huge.status).toBe(0);
    expect(huge.text).toMatch(/^pool 5h \d+% .* · week \d+% [^·]*$/);
    const [file] = (await readdir(cache)).filter((name) => name.endsWith('.json'));
    await writeFile(join(cache, file ?? 'missing'), '{"version":1,"fetchedAtMs":"soon","pool":{"state":"\x1b[31m"}}');
    const planted = await run(sessionA, env);
    expect(planted.text).toMatch(/^pool 5h \d+% .* · account \w+$/);
  });

  it('will not use a cache directory that is a symlink, and still prints', async () => {
    const elsewhere = await freshCacheDir();
    const link = join(scratch, `link-${randomUUID()}`);
    await symlink(elsewhere, link);
    const result = await run(sessionA, { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: link });
    expect(result.text).toMatch(/^pool 5h .* · account \w+$/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('keeps the token out of the cache directory', async () => {
    const cache = await freshCacheDir();
    await run(sessionA, { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken, QUOTAMESH_CACHE_DIR: cache });
    for (const name of await readdir(cache)) {
      expect(name).not.toContain(harness.userToken);
      expect(await readFile(join(cache, name), 'utf8')).not.toContain(harness.userToken);
    }
  });
});
