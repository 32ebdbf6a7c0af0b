import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statusKey, type NodeStatus } from '../../../src/status/index.ts';
import { claudeRows, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BIN = join(import.meta.dirname, '../../../bin/quotamesh.js');
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] };

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, QUOTAMESH_URL: '', QUOTAMESH_TOKEN: '', QUOTAMESH_LEDGER: '', ...env };
    execFile(process.execPath, [BIN, 'status', ...args], { env: childEnv }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function sendMessage(harness: Harness): Promise<void> {
  const response = await fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(MESSAGE),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

async function fetchStatus(harness: Harness, token: string): Promise<NodeStatus> {
  const response = await fetch(`${harness.node.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as NodeStatus;
}

describe('quotamesh status against a running node', () => {
  let harness: Harness;
  let watcher: ChildProcess | undefined;
  beforeAll(async () => {
    harness = await startHarness({
      accounts: [
        { id: 'big', plan: 'max20x', fiveHourUtilization: 10, weeklyUtilization: 20 },
        { id: 'small', plan: 'pro', fiveHourUtilization: 50, weeklyUtilization: 60 },
      ],
    });
    await sendMessage(harness);
    // The node polls the usage of a credential it has no data for; wait for that, so the status
    // stays put unless a test changes it.
    await waitFor(
      async () => (await claudeRows(harness)).every((row) => row.five_hour_reset > 0),
      'every credential to report a 5 hour reset',
    );
  });
  afterEach(async () => {
    const child = watcher;
    watcher = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  });
  afterAll(async () => {
    await harness.close();
  });

  it('--json prints the payload /v1/status serves (admin rows included)', async () => {
    const result = await run(['--url', harness.node.url, '--token', harness.adminToken, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as NodeStatus;
    expect(printed.providers.claude?.credentials?.map((row) => row.tag)).toEqual(['big', 'small']);
    // Everything but the clock second must match what the node serves.
    expect(statusKey(printed)).toBe(statusKey(await fetchStatus(harness, harness.adminToken)));
  });

  it('reads the URL and token from QUOTAMESH_URL and QUOTAMESH_TOKEN', async () => {
    const result = await run(['--json'], { QUOTAMESH_URL: harness.node.url, QUOTAMESH_TOKEN: harness.userToken });
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as NodeStatus;
    expect(statusKey(printed)).toBe(statusKey(await fetchStatus(harness, harness.userToken)));
    expect(printed.providers.claude?.credentials).toBeUndefined();
  });

  it('prints the table without colour when stdout is not a terminal', async () => {
    const result = await run(['--url', harness.node.url, '--token', harness.adminToken]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('node test-node');
    expect(result.stdout).toMatch(/claude {2}usable {2}plan weight 11/);
    expect(result.stdout).toMatch(/^ {2}big +usable +10 +- +5 hour/m);
    expect(result.stdout).toMatch(/^ {2}small +usable +1 +- +5 hour/m);
    expect(result.stdout).not.toContain('\x1b[');
  });

  it('shows no credential rows to a user token', async () => {
    const result = await run(['--url', harness.node.url, '--token', harness.userToken]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('5 hour');
    expect(result.stdout).not.toContain('credential');
  });

  it('adds the usage summary from --ledger', async () => {
    const result = await run(['--url', harness.node.url, '--token', harness.userToken, '--ledger', harness.node.ledgerPath]);
    expect(result.code).toBe(0);
    // requests, tokens and cost at API prices, today and over 7 days; the model has a price.
    expect(result.stdout).toMatch(/^ {2}alice +1 +\S+ +(<?\$\d+\.\d\d) +1 +\S+ +<?\$\d+\.\d\d$/m);
    expect(result.stdout).toMatch(/^ {2}claude-sonnet-4-5 +1 /m);
    expect(result.stdout).toMatch(/^ {2}claude\/\S+ +1 /m);
  });

  it('--watch --json prints a frame at once and another when utilization changes', async () => {
    const child = spawn(process.execPath, [BIN, 'status', '--url', harness.node.url, '--token', harness.adminToken, '--watch', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watcher = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const frames = (): NodeStatus[] =>
      output
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as NodeStatus);
    await waitFor(() => frames().length >= 1, 'the first --json frame');
    // 35% keeps 'big' the least used, so the next request goes there and the node learns it from
    // the response headers.
    harness.sim.setUsage('big', { fiveHourUtilization: 35 });
    await waitFor(async () => {
      await sendMessage(harness);
      return frames().some(
        (frame) => (frame.providers.claude?.credentials?.find((row) => row.tag === 'big')?.five_hour_utilization ?? 0) >= 35,
      );
    }, "a frame showing 'big' at 35 % or more");
  });

  it('a wrong token is one readable line on stderr and exit 1', async () => {
    const result = await run(['--url', harness.node.url, '--token', 'nobody-0123456789abcdefghij']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('401');
  });

  it('no token at all is one readable line and exit 1', async () => {
    const result = await run(['--url', harness.node.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('QUOTAMESH_TOKEN');
  });
});
