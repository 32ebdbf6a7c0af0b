/**
 * `quotamesh admin` against a running node: the real bin for the exit codes (0 done, 1 refused
 * or unreachable, 2 a malformed command line), runAdmin in-process for the rest (each spawn of
 * the bin costs seconds on a loaded machine).
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../../../src/commands/admin.ts';
import { UsageError } from '../../../src/commands/index.ts';
import { claudeRows, startHarness, type Harness } from '../../helpers/node-harness.ts';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');

function runBin(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, QUOTAMESH_URL: '', QUOTAMESH_TOKEN: '', QUOTAMESH_ADMIN_TOKEN: '', ...env };
    execFile(process.execPath, [BIN, 'admin', ...args], { env: childEnv }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A loopback URL nobody listens on: a port the kernel just handed out and took back. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('quotamesh admin against a running node', () => {
  let harness: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    harness = await startHarness({ accounts: [{ id: 'a' }, { id: 'b', fiveHourUtilization: 30, weeklyUtilization: 12 }] });
    env = { QUOTAMESH_URL: harness.node.url, QUOTAMESH_ADMIN_TOKEN: harness.adminToken };
  });
  afterAll(async () => {
    await harness.close();
  });

  /** runAdmin in-process: what it printed, or what it threw. */
  async function run(args: string[], options: { reason?: string; json?: boolean; env?: Record<string, string> } = {}): Promise<string> {
    let stdout = '';
    const code = await runAdmin(
      { positionals: args, url: undefined, token: undefined, reason: options.reason, json: options.json ?? false },
      { stdout: { write: (text: string) => (stdout += text) }, env: options.env ?? env },
    );
    expect(code).toBe(0);
    return stdout;
  }

  async function stateOf(tag: string): Promise<string | undefined> {
    return (await claudeRows(harness)).find((row) => row.tag === tag)?.state;
  }

  it('the bin disables with a reason: one line, exit 0', async () => {
    const disabled = await runBin(['disable', 'claude/a', '--reason', 'lent to a friend'], env);
    expect(disabled).toMatchObject({ code: 0, stderr: '' });
    expect(disabled.stdout).toMatch(/^claude\/a disabled by admin at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(lent to a friend\)\n$/);
    expect(await stateOf('a')).toBe('disabled');
    expect(await run(['disable', 'claude/a'])).toMatch(/^claude\/a was already disabled by admin at .* \(lent to a friend\)\n$/);
    expect(await run(['enable', 'claude/a'])).toBe('claude/a enabled; now usable\n');
    expect(await run(['enable', 'claude/a'])).toBe('claude/a was not disabled; now usable\n');
    expect(await stateOf('a')).toBe('usable');
  });

  it("the bin exits 1 with the node's words when it refuses a user token", async () => {
    const user = await runBin(['disable', 'claude/a'], { ...env, QUOTAMESH_ADMIN_TOKEN: harness.userToken });
    expect(user.code).toBe(1);
    expect(user.stderr).toBe('quotamesh: disable claude/a: ' + harness.node.url + ' answered 403: the admin API needs the admin token\n');
    expect(await stateOf('a')).toBe('usable');
  });

  it('the bin exits 2 with the usage for a malformed command line', async () => {
    const result = await runBin(['explode', 'claude/a'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('admin needs an action: disable, enable, reset-cooldown, poll (got "explode")');
    expect(result.stderr).toContain('usage: quotamesh');
  });

  it('polls and prints the fresh numbers; --json prints the whole answer', async () => {
    harness.sim.setUsage('b', { fiveHourUtilization: 44, weeklyUtilization: 21 });
    expect(await run(['poll', 'claude/b'])).toBe('claude/b polled: 5 hour 44%, weekly 21%; usable\n');
    const json = JSON.parse(await run(['reset-cooldown', 'claude/b'], { json: true })) as unknown;
    expect(json).toMatchObject({ action: 'reset-cooldown', provider: 'claude', tag: 'b', changed: true, credential: { state: 'usable' } });
  });

  it('names what the node refused, where it could not reach, and a missing token', async () => {
    await expect(run(['disable', 'claude/nope'])).rejects.toThrow(
      `disable claude/nope: ${harness.node.url} answered 404: no credential "nope" in claude`,
    );
    const closed = await closedPortUrl();
    await expect(run(['poll', 'claude/a'], { env: { QUOTAMESH_URL: closed, QUOTAMESH_ADMIN_TOKEN: 'x' } })).rejects.toThrow(
      `cannot reach ${closed}: ECONNREFUSED`,
    );
    await expect(run(['poll', 'claude/a'], { env: { QUOTAMESH_URL: harness.node.url } })).rejects.toThrow('no token');
  });

  it.each([
    [[], 'admin needs an action'],
    [['disable'], 'needs one credential as <provider>/<tag>'],
    [['disable', 'claude'], 'needs one credential as <provider>/<tag>'],
    [['disable', 'claude/'], 'needs one credential as <provider>/<tag>'],
    [['disable', '/a'], 'needs one credential as <provider>/<tag>'],
    [['disable', 'claude/a', 'claude/b'], 'needs one credential as <provider>/<tag>'],
  ])('a usage error for %j', async (args, message) => {
    await expect(run(args)).rejects.toThrow(UsageError);
    await expect(run(args)).rejects.toThrow(message);
  });

  it('--reason goes with disable only', async () => {
    await expect(run(['enable', 'claude/a'], { reason: 'x' })).rejects.toThrow('--reason goes with disable only');
  });
});
