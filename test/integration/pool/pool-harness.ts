/**
 * A node in front of the simulator with a `pool` balancer over one credential per account, and
 * besides the balancer's user one "direct" user per account whose route is that account alone:
 * sending through a direct user teaches the node an account's real usage (from the response
 * headers) without going through the balancer under test.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { claudeCredentialFile, startSimulator, type SimAccountSpec, type Simulator } from '../../../src/sim/index.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';

export interface PoolHarness {
  sim: Simulator;
  node: RunningNode;
  logs: string[];
  /** POSTs one message as the balancer's user (or as `as`'s direct user); returns the status. */
  send(options?: { session?: string; as?: string }): Promise<number>;
  /** Runs `action` and returns the ids of the accounts that received a message meanwhile. */
  servedBy(action: () => Promise<unknown>): Promise<string[]>;
  close(): Promise<void>;
}

export interface PoolHarnessOptions {
  accounts: Array<SimAccountSpec & { id: string }>;
  balancer?: { strategy?: string; rebalance_threshold?: number };
  /** Extra keys per credential tag, e.g. `{ a: { limit_weekly: 50 } }`. */
  credentialExtras?: Record<string, Record<string, unknown>>;
}

const BALANCER_TOKEN = 'balancer-user-token-0123456789';
const directToken = (id: string): string => `direct-user-token-${id}-0123456789`;

export async function startPoolHarness(options: PoolHarnessOptions): Promise<PoolHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-pool-'));
  const sim = await startSimulator({ accounts: options.accounts, chunkDelayMs: 1 });
  const credentials = [];
  for (const account of sim.accounts) {
    const path = join(dir, account.id, '.credentials.json');
    await mkdir(join(dir, account.id), { recursive: true });
    await writeFile(path, JSON.stringify(claudeCredentialFile(account)), { mode: 0o600 });
    credentials.push({ tag: account.id, type: 'default', path, ...options.credentialExtras?.[account.id] });
  }
  const { logger, lines: logs } = capturingLogger();
  const config = parseConfigValue(
    {
      name: 'pool-test',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      users: [
        { name: 'balanced', token: BALANCER_TOKEN },
        ...sim.accounts.map((account) => ({ name: `direct-${account.id}`, token: directToken(account.id), claude: account.id })),
      ],
      claude: {
        api_url: sim.url,
        oauth_url: sim.tokenUrl,
        route: 'pool',
        credentials: [...credentials, { tag: 'pool', type: 'balancer', credentials: credentials.map((c) => c.tag), ...options.balancer }],
      },
    },
    { env: {}, homeDir: dir, baseDir: dir },
  );
  const node = await startNode(config, { logger, drainMs: 1000 });

  const send = async ({ session, as }: { session?: string; as?: string } = {}): Promise<number> => {
    const metadata = session === undefined ? {} : { metadata: { user_id: JSON.stringify({ device_id: 'd', session_id: session }) } };
    const response = await fetch(`${node.url}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${as === undefined ? BALANCER_TOKEN : directToken(as)}`,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], ...metadata }),
    });
    await response.arrayBuffer();
    return response.status;
  };

  const servedBy = async (action: () => Promise<unknown>): Promise<string[]> => {
    const before = new Map(sim.accounts.map((account) => [account.id, account.counters.messages]));
    await action();
    return sim.accounts.filter((account) => account.counters.messages > (before.get(account.id) ?? 0)).map((account) => account.id);
  };

  return {
    sim,
    node,
    logs,
    send,
    servedBy,
    close: async () => {
      await node.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
