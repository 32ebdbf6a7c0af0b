/**
 * The package as a user gets it: `npm run build`, `npm pack`, `npm install <tarball>` into an empty
 * folder, then the installed `quotamesh` (compiled JavaScript, no tsx anywhere in that folder)
 * answers --help, checks a config and serves a real request from the simulator.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const ROOT = join(import.meta.dirname, '../../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const USER_TOKEN = 'user-token-0123456789-abcdefghij';
// Building, packing and installing spawn tsc and npm on a shared machine: minutes, not seconds.
const SLOW_MS = 300_000;
/** Every node a test started, stopped in afterAll whatever happened. */
const liveChildren = new Set<ChildProcess>();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The child's environment without whatever loader the test runner put in NODE_OPTIONS. */
function cleanEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _ignored, QUOTAMESH_CONFIG: _config, ...env } = process.env;
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function mustRun(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stderr}`);
  return result.stdout;
}

describe('the packed package', () => {
  let dir: string;
  let tarball: string;
  let packedFiles: string[];
  let installDir: string;
  let sim: Simulator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-package-'));
    installDir = join(dir, 'install');
    await mustRun(NPM, ['run', 'build'], ROOT);
    // --ignore-scripts: prepack would build a second time.
    const packed = JSON.parse(await mustRun(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(dir, packed[0]!.filename);
    packedFiles = packed[0]!.files.map((file) => file.path);
    await mkdir(installDir);
    await mustRun(NPM, ['init', '-y'], installDir);
    // From npm's cache when the dependencies are there (they are after `npm ci`), else the registry.
    await mustRun(NPM, ['install', '--prefer-offline', '--omit=dev', tarball], installDir);
    sim = await startSimulator({ accounts: [{ id: 'a', plan: 'max5x' }] });
  }, SLOW_MS);

  afterAll(async () => {
    await Promise.all([...liveChildren].map(stopChild));
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ships the compiled code, the dashboard assets and the docs, and no tests, bench or TypeScript', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'bin/quotamesh.js',
        'dist/cli.js',
        'dist/statusline.js',
        'dist/dashboard/page.html',
        'dist/dashboard/page.css',
        'dist/dashboard/page.js',
        'dist/THIRD-PARTY-NOTICES.md',
        'config.example.json',
        'docs/CONFIG.md',
      ]),
    );
    const unwanted = packedFiles.filter(
      (path) => /^(src|test|bench|scripts|node_modules)\//.test(path) || path.endsWith('.ts') || path.startsWith('tsconfig'),
    );
    expect(unwanted).toEqual([]);
  });

  it('installs nothing but itself and runs `npx quotamesh --help` from the compiled code', async () => {
    expect(existsSync(join(installDir, 'node_modules/quotamesh/dist/cli.js'))).toBe(true);
    // The bundle carries fastify, pino, ws, zod and prom-client (scripts/build.ts): an install
    // fetches no other package, and certainly not tsx.
    const installed = (await readdir(join(installDir, 'node_modules'))).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['quotamesh']);
    const help = await run(NPX, ['--no', '--', 'quotamesh', '--help'], installDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: quotamesh <command>/);
  });

  describe('with a config', () => {
    let configPath: string;
    beforeAll(async () => {
      const credentialPath = await writeClaudeCredentialFile(sim, installDir, 'a');
      configPath = join(installDir, 'quotamesh.json');
      const config = {
        name: 'installed',
        listen: '127.0.0.1:0',
        state_dir: './state',
        users: [{ name: 'alice', token: USER_TOKEN }],
        claude: { credentials: [{ tag: 'a', type: 'default', path: credentialPath }], api_url: sim.url, oauth_url: sim.tokenUrl },
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
    });

    it('runs `npx quotamesh check`', async () => {
      const result = await run(NPX, ['--no', '--', 'quotamesh', 'check', '--config', configPath], installDir);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`${configPath}: ok\n`);
      expect(result.code).toBe(0);
    });

    it('serves from the installed bin: /healthz answers, a request is served, SIGTERM exits 0', async () => {
      // The bin npx resolves, started directly: npx does not pass SIGTERM on to the node it starts
      // (the node outlives it), so a supervisor, like this test, runs the bin itself.
      await serveAndStop(
        [join(installDir, 'node_modules/.bin/quotamesh'), 'serve', '--config', configPath, '--log-format', 'json'],
        installDir,
      );
    }, 90_000);

    it("serves from only what the Docker image's run stage copies: package.json and dist/, no node_modules", async () => {
      // Read from the Dockerfile itself, so a change there is what this runs.
      const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
      const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
      const copied = [...runStage.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)].map((match) => [match[1]!, match[2]!] as const);
      expect(copied.map(([from]) => from).sort()).toEqual(['dist', 'package.json']);
      const image = join(dir, 'image-app');
      await mkdir(image);
      for (const [from, to] of copied) await cp(join(ROOT, from), join(image, to), { recursive: true });
      const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(runStage)![1]!) as string[];
      expect(entrypoint).toEqual(['node', 'dist/cli.js']);
      await serveAndStop([join(image, 'dist/cli.js'), 'serve', '--config', configPath, '--log-format', 'json'], image);
    }, 90_000);
  });
});

/** Starts `node ...args`, then: /healthz 200, the dashboard page, one real request served, SIGTERM exits 0. */
async function serveAndStop(args: string[], cwd: string): Promise<void> {
  const child = spawn(process.execPath, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(stderr)?.[1], {
    message: 'the node to say where it listens',
    timeoutMs: 60_000,
  });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The dashboard's page files are found beside the bundled code.
  const dashboard = await fetch(`${url}/`);
  expect(dashboard.status).toBe(200);
  expect(await dashboard.text()).toContain('<html');
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${USER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { type: string }).type).toBe('message');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
