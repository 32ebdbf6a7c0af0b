/**
 * Shared set-up for credential tests: a real credential file in a temp dir, the simulator on
 * 127.0.0.1:0, a credential wired to both, and cleanup of everything in one after-hook.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ManualClock, type Clock } from '../../../src/lib/index.ts';
import { ClaudeDefaultCredential, type ClaudeDefaultCredentialOptions } from '../../../src/providers/index.ts';
import { claudeCredentialFile, startSimulator, type SimAccount, type SimAccountSpec, type Simulator } from '../../../src/sim/index.ts';

export const silentLogger = pino({ level: 'silent' });

export interface Harness {
  sim: Simulator;
  clock: Clock;
  /** Parent temp dir; Claude Code's lock for `<base>/claude/.credentials.json` is `<base>/claude.lock`. */
  base: string;
  path: string;
  lockDir: string;
  credential: ClaudeDefaultCredential;
}

const cleanups: Array<() => Promise<void>> = [];

/** Closes credentials, simulators and temp dirs created since the last call (use in afterEach). */
export async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
}

/** The file Claude Code would have, plus keys we do not know, which a rewrite must keep. */
export function credentialText(account: Readonly<SimAccount>, overrides: Record<string, unknown> = {}): string {
  const file = claudeCredentialFile(account);
  return `${JSON.stringify(
    { someOtherTool: { keep: true }, claudeAiOauth: { ...file.claudeAiOauth, isMax: true, futureField: 'keep me', ...overrides } },
    null,
    2,
  )}\n`;
}

/** The options the harness's credential `mine` is built with (a restart builds another from them). */
export function credentialOptions(parts: { sim: Simulator; path: string; clock: Clock }): ClaudeDefaultCredentialOptions {
  return {
    tag: 'mine',
    path: parts.path,
    apiUrl: parts.sim.url,
    oauthUrl: parts.sim.tokenUrl,
    cap5h: 99,
    capWeekly: 99,
    clock: parts.clock,
    logger: silentLogger,
    pollUsage: false,
  };
}

export async function startHarness(
  options: {
    accounts?: SimAccountSpec[];
    clock?: Clock;
    fileOverrides?: Record<string, unknown>;
    credential?: Partial<ClaudeDefaultCredentialOptions>;
    writeFile?: boolean;
  } = {},
): Promise<Harness> {
  const clock = options.clock ?? new ManualClock();
  const sim = await startSimulator({ clock, accounts: options.accounts ?? [{ id: 'alice' }] });
  cleanups.push(() => sim.close());
  const base = await mkdtemp(join(tmpdir(), 'qm-credential-'));
  cleanups.push(() => rm(base, { recursive: true, force: true }));
  const directory = join(base, 'claude');
  await mkdir(directory);
  const path = join(directory, '.credentials.json');
  const account = sim.accounts[0];
  if (account === undefined) throw new Error('harness needs an account');
  if (options.writeFile !== false) await writeFile(path, credentialText(account, options.fileOverrides), { mode: 0o600 });
  const credential = new ClaudeDefaultCredential({
    ...credentialOptions({ sim, path, clock }),
    lockOptions: { retryDelayMs: () => 10 },
    ...options.credential,
  });
  cleanups.push(() => credential.close());
  await credential.start();
  return { sim, clock, base, path, lockDir: `${directory}.lock`, credential };
}

export async function readJson(path: string): Promise<Record<string, Record<string, unknown>>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
}

export function bearer(headers: Record<string, string>): string {
  return (headers['authorization'] ?? '').replace(/^Bearer /, '');
}
