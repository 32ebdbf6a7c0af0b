/**
 * Shared set-up for Codex credential tests: a real auth.json in a temp dir, the simulator's
 * ChatGPT side on 127.0.0.1:0, a CodexDefaultCredential wired to both, and cleanup of everything
 * in one after-hook.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ManualClock } from '../../../src/lib/index.ts';
import { CodexDefaultCredential, type CodexDefaultCredentialOptions } from '../../../src/providers/index.ts';
import { codexAuthFile, startSimulator, type CodexAccountSpec, type SimCodexAccount, type Simulator } from '../../../src/sim/index.ts';

export const silentLogger = pino({ level: 'silent' });
/** Where every harness clock starts, so account specs can place expiries around it. */
export const START_MS = new ManualClock().now();

export interface CodexHarness {
  sim: Simulator;
  clock: ManualClock;
  directory: string;
  path: string;
  credential: CodexDefaultCredential;
}

const cleanups: Array<() => Promise<void>> = [];

/** Closes credentials, simulators and temp dirs created since the last call (use in afterEach). */
export async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
}

/** The file Codex would have, plus keys we do not know (top level and in tokens) that must survive. */
export function authText(account: Readonly<SimCodexAccount>, overrides: Record<string, unknown> = {}): string {
  const file = codexAuthFile(account);
  return `${JSON.stringify({ ...file, future_top_level: { keep: true }, tokens: { ...file.tokens, future_token_key: 'keep me' }, ...overrides }, null, 2)}\n`;
}

export async function startCodexHarness(
  options: { accounts?: CodexAccountSpec[]; writeFile?: boolean; credential?: Partial<CodexDefaultCredentialOptions> } = {},
): Promise<CodexHarness> {
  const clock = new ManualClock();
  const sim = await startSimulator({ clock, accounts: 0, codexAccounts: options.accounts ?? [{ id: 'alice', plan: 'plus' }] });
  cleanups.push(() => sim.close());
  const directory = await mkdtemp(join(tmpdir(), 'qm-codex-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  const path = join(directory, 'auth.json');
  const account = sim.codexAccounts[0];
  if (account === undefined) throw new Error('harness needs a codex account');
  if (options.writeFile !== false) await writeFile(path, authText(account), { mode: 0o600 });
  const credential = new CodexDefaultCredential({
    tag: 'cx',
    path,
    apiUrl: sim.codexApiUrl,
    usageUrl: sim.codexUsageUrl,
    oauthUrl: sim.codexTokenUrl,
    cap5h: 99,
    capWeekly: 99,
    clock,
    logger: silentLogger,
    pollUsage: false,
    lockOptions: { retryDelayMs: () => 10 },
    ...options.credential,
  });
  cleanups.push(() => credential.close());
  await credential.start();
  return { sim, clock, directory, path, credential };
}

export async function readAuth(path: string): Promise<Record<string, unknown> & { tokens: Record<string, unknown> }> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown> & { tokens: Record<string, unknown> };
}

/** One real request on the credential's target, as the proxy would send it. */
export async function postResponse(
  credential: CodexDefaultCredential,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const target = await credential.target();
  const response = await fetch(`${target.baseUrl}/responses`, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json', session_id: 'test-session', originator: 'codex_cli_rs' },
    body: JSON.stringify({ model: 'gpt-5-codex', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], stream: true }),
  });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
}
