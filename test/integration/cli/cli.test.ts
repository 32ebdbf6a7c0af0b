import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, QUOTAMESH_CONFIG: '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('quotamesh CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(name: string, config: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(config));
    return path;
  }

  it('check names the JSON path of a wrong strategy and exits 2', async () => {
    const path = await writeConfig('bad.json', {
      users: [{ name: 'alice', token: 'a'.repeat(24) }],
      claude: {
        route: 'pool',
        credentials: [
          { tag: 'mine', type: 'default', path: 'creds.json' },
          { tag: 'pool', type: 'balancer', strategy: 'cheapest', credentials: ['mine'] },
        ],
      },
    });
    const result = await run(['check', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('claude.credentials[1].strategy: expected one of least-used|round-robin|random|fallback');
    expect(result.stderr).not.toContain('    at ');
  });

  it('check exits 1 when a named credential file is missing, 0 when all is well', async () => {
    const config = {
      users: [{ name: 'alice', token: 'a'.repeat(24) }],
      claude: { credentials: [{ tag: 'mine', type: 'default', path: 'creds.json' }] },
    };
    const path = await writeConfig('good.json', config);
    const missing = await run(['check', '--config', path]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('claude.credentials[0].path');
    await writeFile(
      join(dir, 'creds.json'),
      JSON.stringify({ claudeAiOauth: { accessToken: 'sk-ant-oat01-x', refreshToken: 'sk-ant-ort01-y', expiresAt: 0 } }),
    );
    const ok = await run(['check', '--config', path]);
    expect(ok.code).toBe(0);
  });

  it('serve without a config exits 2 with a one-line hint', async () => {
    const result = await run(['serve'], { QUOTAMESH_CONFIG: join(dir, 'none.json') });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--config');
  });

  it('token prints 32 random bytes as base64url', async () => {
    const first = await run(['token']);
    const second = await run(['token']);
    expect(first.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).not.toBe(second.stdout);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command');
  });
});
