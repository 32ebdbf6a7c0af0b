import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeCredentialFile } from './claude/accounts.ts';
import { codexAuthFile } from './codex/accounts.ts';
import { startSimulator } from './server.ts';

export interface SimCommandOptions {
  /** Where the banner goes (default stdout). */
  print?: (line: string) => void;
  /** Stops the command like SIGINT would (tests use this instead of signalling the process). */
  signal?: AbortSignal;
}

/**
 * `quotamesh sim [--port N] [--accounts N] [--codex-accounts N]` (README.md › Commands): the simulated
 * upstream alone. Writes one credential directory per account so a node (or Claude Code via
 * CLAUDE_CONFIG_DIR, Codex CLI via CODEX_HOME) can use it, then runs until SIGINT/SIGTERM and
 * removes the directory again.
 */
export async function runSimCommand(
  argv: { port?: number; accounts?: number; codexAccounts?: number },
  options: SimCommandOptions = {},
): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const simulator = await startSimulator({
    port: argv.port ?? 0,
    accounts: argv.accounts ?? 3,
    codexAccounts: argv.codexAccounts ?? 0,
  });
  const directory = await mkdtemp(join(tmpdir(), 'quotamesh-sim-'));
  try {
    print(`quotamesh simulator listening on ${simulator.url}`);
    print(`  OAuth token URL: ${simulator.tokenUrl}`);
    print(
      `  Login page (both vendors): ${simulator.authorizeUrl}  e.g. quotamesh login claude --authorize-url ${simulator.authorizeUrl} --token-url ${simulator.tokenUrl} --path FILE`,
    );
    for (const account of simulator.accounts) {
      const accountDirectory = join(directory, account.id);
      await mkdir(accountDirectory, { mode: 0o700 });
      const file = join(accountDirectory, '.credentials.json');
      // Mode 0600 like Claude Code's own file.
      await writeFile(file, `${JSON.stringify(claudeCredentialFile(account), null, 2)}\n`, { mode: 0o600 });
      print(`  ${account.id} (${account.plan}): ${file}`);
    }
    if (simulator.codexAccounts.length > 0) {
      print(`  Codex API URL: ${simulator.codexApiUrl}  token URL: ${simulator.codexTokenUrl}`);
    }
    for (const account of simulator.codexAccounts) {
      const codexHome = join(directory, account.id);
      await mkdir(codexHome, { mode: 0o700 });
      const file = join(codexHome, 'auth.json');
      // Pretty-printed, mode 0600, as Codex writes it (codex-rs/login/src/auth/storage.rs).
      await writeFile(file, `${JSON.stringify(codexAuthFile(account), null, 2)}\n`, { mode: 0o600 });
      print(`  ${account.id} (${account.plan}): ${file}`);
    }
    print(`Control API: GET ${simulator.url}/_sim/state, POST ${simulator.url}/_sim/script`);
    print('Press Ctrl-C to stop.');
    await untilStopped(options.signal);
  } finally {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function untilStopped(signal: AbortSignal | undefined): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  try {
    if (signal?.aborted !== true) await once(stop.signal, 'abort');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    signal?.removeEventListener('abort', onSignal);
  }
}
