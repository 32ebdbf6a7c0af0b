/** `quotamesh login` as a person runs it: a separate process, the code typed into its stdin. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { approve, codePageText } from './login-helpers.ts';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');

describe('quotamesh login (a real process)', () => {
  let sim: Simulator | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('prints the link, reads code#state from stdin, writes the file and exits 0', async () => {
    sim = await startSimulator();
    dir = await mkdtemp(join(tmpdir(), 'qm-login-cli-'));
    const path = join(dir, '.claude', '.credentials.json');
    const child = spawn(
      process.execPath,
      [BIN, 'login', 'claude', '--path', path, '--authorize-url', sim.authorizeUrl, '--token-url', sim.tokenUrl],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const link = await waitFor(() => /\s(http:\/\/\S+)/.exec(stdout)?.[1], { message: 'the link on stdout', timeoutMs: 45_000 });
    child.stdin.write(`${codePageText(await approve(link))}\n`);
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`wrote ${path}`);
    const file = JSON.parse(await readFile(path, 'utf8')) as { claudeAiOauth: { accessToken: string } };
    expect(file.claudeAiOauth.accessToken).toBe(sim.account('account-1').accessToken);
    // A process start under tsx takes seconds on a loaded machine; the flow itself is quick.
  }, 60_000);
});
