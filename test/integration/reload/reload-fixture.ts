/**
 * A node in its own process reading its config from a file, as `quotamesh serve` does: SIGHUP
 * and (unless turned off) a change of the file reload it. The simulator runs in the test process
 * with accounts a and b; both credential files are written, the config decides which are used.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { claudeCredentialPath, writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { forkNode, killAllNodeProcesses, logLines, type NodeProcess } from '../../helpers/node-process.ts';
import { assertNoSecrets, simulatorTokens } from '../../helpers/secrets.ts';
import { waitFor } from '../../helpers/wait-for.ts';

export const TOKENS = {
  admin: 'reload-admin-token-0123456789-ab',
  alice: 'reload-alice-token-0123456789-ab',
  carol: 'reload-carol-token-0123456789-ab',
};

export const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

export type RawConfig = Record<string, unknown> & {
  users: Array<Record<string, unknown>>;
  claude: { credentials: Array<Record<string, unknown>>; [key: string]: unknown };
};

export interface ReloadSetup {
  sim: Simulator;
  node: NodeProcess;
  dir: string;
  configPath: string;
  /** Account a's or b's credential file (both written before the node starts). */
  credentialPath(accountId: string): string;
  /** The config the node was started with (a fresh copy each call). */
  initial(): RawConfig;
  /** Replaces the config file in one rename, so a watcher never reads half a file. */
  writeConfig(raw: unknown, path?: string): Promise<void>;
  /** Sends SIGHUP and waits for the node to log the outcome of that reload. */
  hangup(): Promise<Record<string, unknown>>;
  post(token: string, body?: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startReloadSetup(options: { watch?: boolean; extraSecrets?: string[] } = {}): Promise<ReloadSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-reload-'));
  const sim = await startSimulator({
    accounts: [
      { id: 'a', plan: 'max20x' },
      { id: 'b', plan: 'max20x' },
    ],
  });
  const initialTokens = simulatorTokens(sim);
  const pathA = await writeClaudeCredentialFile(sim, dir, 'a');
  await writeClaudeCredentialFile(sim, dir, 'b');
  const initial = (): RawConfig => ({
    name: 'reloading',
    listen: '127.0.0.1:0',
    state_dir: join(dir, 'state'),
    admin_token: TOKENS.admin,
    users: [{ name: 'alice', token: TOKENS.alice }],
    claude: {
      api_url: sim.url,
      oauth_url: sim.tokenUrl,
      credentials: [{ tag: 'a', type: 'default', path: pathA }],
    },
  });
  const configPath = join(dir, 'quotamesh.json');
  const writeConfig = async (raw: unknown, path = configPath): Promise<void> => {
    await writeFile(`${path}.next`, `${JSON.stringify(raw, null, 2)}\n`);
    await rename(`${path}.next`, path);
  };
  await writeConfig(initial());
  const node = await forkNode().start({
    config: undefined,
    configFile: configPath,
    watchConfigFile: options.watch,
    dir,
    options: { drainMs: 2000 },
  });
  const outcomes = (): Array<Record<string, unknown>> =>
    ['config reloaded', 'config reloaded; nothing changed', 'config reload refused; the running config stays'].flatMap((message) =>
      logLines(node.logs, message),
    );
  return {
    sim,
    node,
    dir,
    configPath,
    credentialPath: (accountId) => claudeCredentialPath(dir, accountId),
    initial,
    writeConfig,
    hangup: async () => {
      const before = outcomes().filter((line) => line.trigger === 'signal').length;
      node.kill('SIGHUP');
      return waitFor(() => outcomes().filter((line) => line.trigger === 'signal')[before], 'the node to log the reload SIGHUP asked for');
    },
    post: (token, body = MESSAGE, headers = {}) =>
      fetch(`${node.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body,
      }),
    close: async () => {
      await killAllNodeProcesses();
      const secrets = [...Object.values(TOKENS), ...(options.extraSecrets ?? []), ...initialTokens, ...simulatorTokens(sim)];
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(node.logs, secrets);
    },
  };
}

/** The status code `token` gets from the node's /v1/status (200 known caller, 401 unknown). */
export async function statusCode(node: NodeProcess, token: string): Promise<number> {
  const response = await fetch(`${node.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}
