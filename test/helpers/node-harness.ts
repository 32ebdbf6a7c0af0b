/**
 * Starts the simulator and a node on 127.0.0.1:0 with one credential file per simulated
 * account, captures every log line (tests scan them for tokens), and closes it all in one call.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode, type NodeOptions, type RunningNode } from '../../src/node/index.ts';
import type { CredentialStatusRow, NodeStatus } from '../../src/status/index.ts';
import { codexAuthFile, startSimulator, type CodexAccountSpec, type SimAccountSpec, type Simulator } from '../../src/sim/index.ts';
import { claudeCredentialPath, writeClaudeCredentialFile } from './claude-credential-file.ts';
import { capturingLogger } from './log-capture.ts';
import { assertNoSecrets, simulatorTokens } from './secrets.ts';

export interface Harness {
  sim: Simulator;
  node: RunningNode;
  dir: string;
  userToken: string;
  adminToken: string;
  logs: string[];
  credentialPath(accountId: string): string;
  writeCredential(accountId: string): Promise<void>;
  /** Stops the node and starts a new one on the same config and state_dir (a process restart). */
  restartNode(): Promise<RunningNode>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  accounts?: SimAccountSpec[];
  /** Accounts whose credential file is not written before the node starts. */
  withoutFiles?: string[];
  /** Extra top-level config keys, and a function to adjust the claude section. */
  claude?: (credentials: Array<Record<string, unknown>>) => Record<string, unknown>;
  chunkDelayMs?: number;
  /** Passed to startNode (e.g. a short upstreamIdleTimeoutMs). */
  nodeOptions?: Omit<NodeOptions, 'logger'>;
  /** Codex accounts: each gets an auth.json and a default credential in a codex balancer. */
  codexAccounts?: CodexAccountSpec[];
  /** Top-level config keys laid over the defaults (e.g. more `users`, `request_budget`). */
  config?: Record<string, unknown>;
}

export const USER_TOKEN = 'user-token-0123456789-abcdefghij';
export const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghij';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-test-'));
  const sim = await startSimulator({
    accounts: options.accounts ?? [{ id: 'a', plan: 'max20x' }],
    codexAccounts: options.codexAccounts ?? [],
    chunkDelayMs: options.chunkDelayMs,
  });
  const initialTokens = simulatorTokens(sim);
  const credentialPath = (id: string): string => claudeCredentialPath(dir, id);
  const writeCredential = async (id: string): Promise<void> => {
    await writeClaudeCredentialFile(sim, dir, id);
  };
  for (const account of sim.accounts) {
    if (!options.withoutFiles?.includes(account.id)) await writeCredential(account.id);
  }
  const credentials = sim.accounts.map((account) => ({ tag: account.id, type: 'default', path: credentialPath(account.id) }));
  const claude = options.claude?.(credentials) ?? {
    credentials:
      credentials.length === 1
        ? credentials
        : [...credentials, { tag: 'pool', type: 'balancer', credentials: credentials.map((c) => c.tag) }],
    ...(credentials.length === 1 ? {} : { route: 'pool' }),
  };
  const codexCredentials = [];
  for (const account of sim.codexAccounts) {
    await mkdir(join(dir, account.id), { recursive: true });
    const path = join(dir, account.id, 'auth.json');
    await writeFile(path, JSON.stringify(codexAuthFile(account), null, 2), { mode: 0o600 });
    codexCredentials.push({ tag: account.id, type: 'default', path });
  }
  const codex =
    codexCredentials.length === 0
      ? undefined
      : {
          api_url: sim.codexApiUrl,
          usage_url: sim.codexUsageUrl,
          oauth_url: sim.codexTokenUrl,
          route: 'cx-pool',
          credentials: [...codexCredentials, { tag: 'cx-pool', type: 'balancer', credentials: codexCredentials.map((c) => c.tag) }],
        };
  const { logger, lines: logs } = capturingLogger();
  const config = parseConfigValue(
    {
      name: 'test-node',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      admin_token: ADMIN_TOKEN,
      users: [{ name: 'alice', token: USER_TOKEN }],
      claude: { api_url: sim.url, oauth_url: sim.tokenUrl, ...claude },
      ...(codex ? { codex } : {}),
      ...options.config,
    },
    { env: {}, homeDir: dir, baseDir: dir },
  );
  const harness: Harness = {
    sim,
    node: await startNode(config, { drainMs: 1000, ...options.nodeOptions, logger }),
    dir,
    userToken: USER_TOKEN,
    adminToken: ADMIN_TOKEN,
    logs,
    credentialPath,
    writeCredential,
    restartNode: async () => {
      await harness.node.close();
      harness.node = await startNode(config, { drainMs: 1000, ...options.nodeOptions, logger });
      return harness.node;
    },
    close: async () => {
      await harness.node.close();
      const secrets = [USER_TOKEN, ADMIN_TOKEN, ...initialTokens, ...simulatorTokens(sim)];
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(logs, secrets);
    },
  };
  return harness;
}

/** The node's `/v1/status` as the admin sees it. */
export async function adminStatus(harness: Harness): Promise<NodeStatus> {
  const response = await fetch(`${harness.node.url}/v1/status`, { headers: { authorization: `Bearer ${harness.adminToken}` } });
  return (await response.json()) as NodeStatus;
}

/** The admin's rows of the node's Claude credentials. */
export async function claudeRows(harness: Harness): Promise<CredentialStatusRow[]> {
  return (await adminStatus(harness)).providers.claude?.credentials ?? [];
}

/** The node's ledger, one object per line; none while the file does not exist yet. */
export function ledgerLines(harness: Harness): Array<Record<string, unknown>> {
  let text = '';
  try {
    text = readFileSync(harness.node.ledgerPath, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
