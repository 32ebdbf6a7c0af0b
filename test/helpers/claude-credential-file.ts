/** Where the test harnesses put a simulated account's Claude Code credential file. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { claudeCredentialFile, type Simulator } from '../../src/sim/index.ts';

/** `<dir>/<accountId>/.credentials.json`, the file Claude Code writes (mode 0600). */
export function claudeCredentialPath(dir: string, accountId: string): string {
  return join(dir, accountId, '.credentials.json');
}

/** Writes the account's current tokens to `claudeCredentialPath(dir, accountId)`; returns that path. */
export async function writeClaudeCredentialFile(sim: Simulator, dir: string, accountId: string): Promise<string> {
  const path = claudeCredentialPath(dir, accountId);
  await mkdir(join(dir, accountId), { recursive: true });
  await writeFile(path, JSON.stringify(claudeCredentialFile(sim.account(accountId))), { mode: 0o600 });
  return path;
}
