/**
 * The Dockerfile: its structure is checked everywhere (two stages, the slim one running dist/ as a
 * non-root user with the state directory a volume and a HEALTHCHECK), its health check command is
 * run against a real node, and where a Docker engine answers the image is built and run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const ROOT = join(import.meta.dirname, '../../..');

interface Instruction {
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  text: string;
}

/** Dockerfile → instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(source: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of source.split('\n')) {
    if (pending === '' && /^\s*(#|$)/.test(line)) continue;
    const trimmed = line.trim();
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      continue;
    }
    const whole = pending + trimmed;
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(whole);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), text: match[2]! });
  }
  return instructions;
}

/** Stages, split at each FROM. */
function stagesOf(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

function all(stage: Instruction[], keyword: string): string[] {
  return stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.text);
}

function one(stage: Instruction[], keyword: string): string {
  const found = all(stage, keyword);
  expect(found, `exactly one ${keyword}`).toHaveLength(1);
  return found[0]!;
}

/** The exec form `["a", "b"]` as an array (the shell form is refused: signals would go to sh). */
function execForm(text: string): string[] {
  const value: unknown = JSON.parse(text);
  expect(Array.isArray(value), `${text} is in exec form`).toBe(true);
  return value as string[];
}

const STAGES = stagesOf(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')));
const [BUILD, RUNTIME] = STAGES as [Instruction[], Instruction[]];
const HEALTHCHECK = RUNTIME ? one(RUNTIME, 'HEALTHCHECK') : '';
const HEALTH_COMMAND = execForm(HEALTHCHECK.slice(HEALTHCHECK.indexOf('CMD ') + 4));

describe('Dockerfile structure', () => {
  it('has a build stage and a slim run stage', () => {
    expect(STAGES).toHaveLength(2);
    expect(one(BUILD, 'FROM')).toMatch(/^node:20\S* AS build$/i);
    expect(one(RUNTIME, 'FROM')).toMatch(/^node:20\S*-slim$/);
  });

  it('builds with npm ci, then npm run build', () => {
    expect(all(BUILD, 'COPY')).toContain('src ./src');
    const runs = all(BUILD, 'RUN').join(' && ');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs.indexOf('npm run build')).toBeGreaterThan(runs.indexOf('npm ci'));
  });

  it('runs only the bundle the build stage produced: no sources, no node_modules, no install, no tsx', () => {
    const copies = all(RUNTIME, 'COPY');
    expect(copies.every((copy) => copy.startsWith('--from=build '))).toBe(true);
    expect(copies.some((copy) => / \/app\/dist /.test(copy))).toBe(true);
    expect(copies.some((copy) => / \/app\/package\.json /.test(copy))).toBe(true);
    expect(copies.join('\n')).not.toMatch(/\bsrc\b|\btsx\b|node_modules/);
    expect(all(RUNTIME, 'RUN').join('\n')).not.toMatch(/npm (ci|install)/);
  });

  it('starts `node dist/cli.js serve` as a non-root user', () => {
    const user = one(RUNTIME, 'USER');
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const userIndex = RUNTIME.findIndex((instruction) => instruction.keyword === 'USER');
    const entryIndex = RUNTIME.findIndex((instruction) => instruction.keyword === 'ENTRYPOINT');
    expect(userIndex).toBeLessThan(entryIndex);
    expect([...execForm(one(RUNTIME, 'ENTRYPOINT')), ...execForm(one(RUNTIME, 'CMD'))]).toEqual(['node', 'dist/cli.js', 'serve']);
  });

  it("keeps the default state_dir of the node user's home in a volume that user owns", () => {
    const volumes = execForm(one(RUNTIME, 'VOLUME'));
    expect(volumes).toEqual(['/home/node/.local/state/quotamesh']);
    const runs = all(RUNTIME, 'RUN').join('\n');
    expect(runs).toContain('mkdir -p /home/node/.local/state/quotamesh');
    expect(runs).toMatch(/chown -R node:node \/home\/node/);
    expect(one(RUNTIME, 'USER')).toBe('node');
  });

  it('checks health on /healthz with node (the slim image has no curl)', () => {
    expect(HEALTH_COMMAND[0]).toBe('node');
    expect(HEALTHCHECK).not.toMatch(/curl|wget/);
    expect(all(RUNTIME, 'ENV').join(' ')).toContain('QUOTAMESH_HEALTH_URL=http://127.0.0.1:8787/healthz');
  });
});

describe('the HEALTHCHECK command', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  function check(url: string): Promise<number> {
    return new Promise((resolve) => {
      execFile(HEALTH_COMMAND[0] === 'node' ? process.execPath : HEALTH_COMMAND[0]!, HEALTH_COMMAND.slice(1), {
        env: { ...process.env, QUOTAMESH_HEALTH_URL: url },
      }).once('exit', (code) => resolve(code ?? 1));
    });
  }

  it('exits 0 while the node answers /healthz', async () => {
    expect(await check(`${harness.node.url}/healthz`)).toBe(0);
  });

  it('exits 1 when nothing listens, and when the path answers an error', async () => {
    const closed = await startHarness();
    const url = closed.node.url;
    await closed.close();
    expect(await check(`${url}/healthz`)).toBe(1);
    expect(await check(`${harness.node.url}/no-such-path`)).toBe(1);
  });
});

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

// The one conditional skip in the suite: building an image needs a Docker engine, and `docker info`
// failing means there is none. Everything the image promises is also checked above without one.
describe.skipIf(!dockerAnswers())('Docker image smoke test (skipped when `docker info` fails: no Docker engine)', () => {
  const tag = `quotamesh-test:${process.pid}`;
  const name = `quotamesh-test-${process.pid}`;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-docker-'));
    execFileSync('docker', ['build', '-t', tag, ROOT], { stdio: 'ignore', timeout: 600_000 });
  }, 660_000);
  afterAll(async () => {
    execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    execFileSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  });

  it('runs as a non-root user, turns healthy, serves /healthz and stops cleanly on docker stop', async () => {
    const config = { listen: '0.0.0.0:8787', users: [{ name: 'alice', token: 'user-token-0123456789-abcdefghij' }] };
    await writeFile(join(dir, 'quotamesh.json'), JSON.stringify(config));
    execFileSync('docker', [
      'run',
      '-d',
      '--name',
      name,
      '-p',
      '127.0.0.1::8787',
      '-v',
      `${dir}/quotamesh.json:/config/quotamesh.json:ro`,
      tag,
    ]);
    expect(execFileSync('docker', ['exec', name, 'id', '-u']).toString().trim()).not.toBe('0');
    const port = execFileSync('docker', ['port', name, '8787/tcp']).toString().trim().split(':').at(-1);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
      message: 'the container to answer /healthz',
      timeoutMs: 60_000,
    });
    await waitFor(() => execFileSync('docker', ['inspect', '-f', '{{.State.Health.Status}}', name]).toString().trim() === 'healthy', {
      message: 'the HEALTHCHECK to report healthy',
      timeoutMs: 90_000,
      intervalMs: 1000,
    });
    execFileSync('docker', ['stop', name]);
    expect(execFileSync('docker', ['inspect', '-f', '{{.State.ExitCode}}', name]).toString().trim()).toBe('0');
  }, 180_000);
});
