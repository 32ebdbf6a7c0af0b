/**
 * `quotamesh init`: the configs it writes pass `quotamesh check`, it never overwrites without
 * --force, it asks on a terminal and names the flags without one, and a hub and a laptop written
 * by it link for real (two node processes, the laptop dialing the hub, a request served through).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInit, type InitOptions } from '../../../src/commands/init.ts';
import { blankJsonComments } from '../../../src/node/config-comments.ts';
import { loadConfigFile } from '../../../src/node/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import type { NodeStatus } from '../../../src/status/index.ts';
import { writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');
// Each CLI run starts node and tsx: seconds apiece when the machine is busy.
const PROCESS_TEST_MS = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], home: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, HOME: home, QUOTAMESH_CONFIG: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The generated file as data (its comments blanked), to read a token from or to adjust. */
async function readGenerated(path: string): Promise<Record<string, any>> {
  return JSON.parse(blankJsonComments(await readFile(path, 'utf8'))) as Record<string, any>;
}

const NO_FLAGS: InitOptions = {
  configPath: undefined,
  hub: false,
  laptop: false,
  hubUrl: undefined,
  linkToken: undefined,
  name: undefined,
  listen: undefined,
  force: false,
};

describe('quotamesh init', () => {
  let dir: string;
  let emptyHome: string;
  let sim: Simulator;
  let laptopHome: string;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-init-'));
    emptyHome = join(dir, 'empty-home');
    laptopHome = join(dir, 'laptop-home');
    await mkdir(emptyHome);
    sim = await startSimulator({ accounts: [{ id: 'a', plan: 'max20x' }] });
    // The laptop is logged in to Claude: the credential file where Claude Code keeps it.
    await mkdir(laptopHome);
    const written = await writeClaudeCredentialFile(sim, dir, 'a');
    await mkdir(join(laptopHome, '.claude'));
    await writeFile(join(laptopHome, '.claude/.credentials.json'), await readFile(written), { mode: 0o600 });
  });

  afterAll(async () => {
    await Promise.all(
      [...children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'writes a commented hub config, private to its owner, that passes check',
    async () => {
      const path = join(dir, 'hub.json');
      const result = await run(['init', '--hub', '--config', path], emptyHome);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const text = await readFile(path, 'utf8');
      expect(text).toMatch(/^\/\/ quotamesh hub/);
      expect(text).toContain('  // The laptop that dials this hub');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const config = await readGenerated(path);
      const tokens = [config.admin_token, config.users[0].token, config.peers[0].token];
      expect(new Set(tokens).size).toBe(3);
      for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The output tells the laptop what to run, with the link token.
      expect(result.stdout).toContain(`--link-token ${config.peers[0].token}`);
      const check = await run(['check', '--config', path], emptyHome);
      expect(check.stdout).toBe(`${path}: ok\n`);
      expect(check.code).toBe(0);
    },
    PROCESS_TEST_MS,
  );

  it('refuses to replace an existing file without --force, and replaces it with fresh tokens with it', async () => {
    const path = join(dir, 'twice.json');
    const quiet = { isInteractive: false, ask: async () => '', print: () => {} };
    expect(await runInit({ ...NO_FLAGS, hub: true, configPath: path }, quiet)).toBe(0);
    const first = await readFile(path, 'utf8');
    await expect(runInit({ ...NO_FLAGS, hub: true, configPath: path }, quiet)).rejects.toThrow(
      `${path} already exists; pass --force to replace it`,
    );
    expect(await readFile(path, 'utf8')).toBe(first);
    expect(await runInit({ ...NO_FLAGS, hub: true, force: true, configPath: path }, quiet)).toBe(0);
    expect((await readGenerated(path)).admin_token).not.toBe(JSON.parse(blankJsonComments(first)).admin_token);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it(
    'names the flags it needs when no one can answer (no terminal) and writes nothing',
    async () => {
      const path = join(dir, 'unanswered.json');
      const result = await run(['init', '--config', path], emptyHome);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('init needs --hub, or --laptop --hub-url URL --link-token TOKEN');
      const laptop = await run(['init', '--laptop', '--hub-url', 'https://hub.example:8787', '--config', path], emptyHome);
      expect(laptop.code).toBe(2);
      expect(laptop.stderr).toContain('init --laptop needs --link-token');
      await expect(stat(path)).rejects.toThrow(/ENOENT/);
    },
    PROCESS_TEST_MS,
  );

  it('asks hub or laptop, then the hub URL and link token, on a terminal', async () => {
    const path = join(dir, 'asked.json');
    const answers = ['maybe', 'l', 'https://hub.example:8787/', '', 'link-token-0123456789-abcdef'];
    const questions: string[] = [];
    const printed: string[] = [];
    const code = await runInit(
      { ...NO_FLAGS, configPath: path },
      {
        isInteractive: true,
        ask: async (question) => {
          questions.push(question);
          return answers.shift() ?? '';
        },
        print: (line) => printed.push(line),
      },
    );
    expect(code).toBe(0);
    expect(questions).toHaveLength(5);
    expect(questions[0]).toContain('hub (h), or a laptop');
    expect(questions[2]).toContain("hub's URL");
    expect(questions[4]).toContain('link token');
    const config = loadConfigFile(path, {});
    expect(config.peers[0]).toMatchObject({
      name: 'hub',
      url: 'https://hub.example:8787',
      token: 'link-token-0123456789-abcdef',
      reverse: true,
    });
    expect(printed[0]).toBe(`Wrote ${path} (a laptop). Check it, then run it:`);
  });

  it('refuses a hub URL that is not http(s) and a link token too short for the config', async () => {
    const options = { ...NO_FLAGS, laptop: true, configPath: join(dir, 'refused.json') };
    const terminal = { isInteractive: false, ask: async () => '', print: () => {} };
    await expect(runInit({ ...options, hubUrl: 'ftp://hub', linkToken: 'x'.repeat(20) }, terminal)).rejects.toThrow(
      /http:\/\/ or https:\/\//,
    );
    await expect(runInit({ ...options, hubUrl: 'https://hub', linkToken: 'short' }, terminal)).rejects.toThrow(/at least 16/);
  });

  describe('a hub and a laptop written by init', () => {
    function serve(configPath: string, home: string): Promise<{ child: ChildProcess; url: string }> {
      const child = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--log-format', 'json'], {
        env: { ...process.env, HOME: home, QUOTAMESH_CONFIG: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.add(child);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      return waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${stderr}`);
          const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
          return url && { child, url };
        },
        { message: `${configPath} to listen`, timeoutMs: 60_000 },
      );
    }

    it(
      'link: the laptop dials the hub and the hub serves a request from the laptop subscription',
      async () => {
        const hubPath = join(dir, 'link-hub.json');
        const laptopPath = join(dir, 'link-laptop.json');
        expect((await run(['init', '--hub', '--listen', '127.0.0.1:0', '--config', hubPath], emptyHome)).code).toBe(0);
        const hubConfig = await readGenerated(hubPath);
        const hub = await serve(hubPath, emptyHome);

        const laptopInit = await run(
          [
            'init',
            '--laptop',
            '--hub-url',
            hub.url,
            '--link-token',
            hubConfig.peers[0].token,
            '--listen',
            '127.0.0.1:0',
            '--config',
            laptopPath,
          ],
          laptopHome,
        );
        expect(laptopInit.code).toBe(0);
        expect((await run(['check', '--config', laptopPath], laptopHome)).code).toBe(0);
        // The one change a test must make: the laptop's subscription lives in the simulator, not at
        // api.anthropic.com (no network beyond loopback here).
        const laptopConfig = await readGenerated(laptopPath);
        laptopConfig.claude.api_url = sim.url;
        laptopConfig.claude.oauth_url = sim.tokenUrl;
        await writeFile(laptopPath, JSON.stringify(laptopConfig, null, 2));
        await serve(laptopPath, laptopHome);

        await waitFor(
          async () => {
            const response = await fetch(`${hub.url}/v1/status`, { headers: { authorization: `Bearer ${hubConfig.admin_token}` } });
            const status = (await response.json()) as NodeStatus;
            // Usable and with the laptop's real numbers. Before its first frame the row reads 0 %
            // with no weight: not yet the laptop's numbers.
            return status.providers.claude?.credentials?.some(
              (row) => row.tag === 'laptop' && row.state === 'usable' && row.plan_weight > 0 && row.weekly_utilization < 100,
            );
          },
          { message: "the hub to see the laptop's Claude capacity through the tunnel", timeoutMs: 60_000 },
        );
        const before = sim.account('a').counters.messages;
        const response = await fetch(`${hub.url}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${hubConfig.users[0].token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(response.status).toBe(200);
        const answered = (await response.json()) as { type: string };
        expect(answered.type).toBe('message');
        expect(sim.account('a').counters.messages).toBe(before + 1);
      },
      3 * PROCESS_TEST_MS,
    );
  });
});
