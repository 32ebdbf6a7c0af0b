/**
 * A hub in a child process (so it can be SIGKILLed or SIGTERMed), with a laptop node and the
 * simulator in the test process. The laptop dials the hub's fixed port; the hub's only
 * credential is the laptop's account, so every request through the hub crosses the tunnel.
 * Both sides use short keepalive tunables: a dead peer is noticed in about a second, not 45 s.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { assertNoSecrets, simulatorTokens } from '../../helpers/secrets.ts';
import { forkNode, freePort, killAllNodeProcesses, type ForkedNode, type NodeProcess } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';

export const TUNNEL = { keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000 };
export const USER = 'alice-token-0123456789-abcdefgh';
export const ADMIN = 'laptop-admin-token-0123456789-ab';
const LINK = 'hub-laptop-link-0123456789-abcd';

export const STREAM = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user', content: 'hi' }],
});

export interface HubAndLaptop {
  sim: Simulator;
  hub: NodeProcess;
  laptop: RunningNode;
  laptopLogs: string[];
  /** Configures an already forked process as the hub, on the same port and state_dir. */
  startHub(forked?: ForkedNode): Promise<NodeProcess>;
  laptopLedger(): Promise<Array<Record<string, unknown>>>;
  hubLedger(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface HubAndLaptopOptions {
  chunkDelayMs?: number;
  hubDrainMs?: number;
  /** More peers the hub accepts tunnels from (hostile probes). */
  extraPeers?: Array<{ name: string; token: string }>;
  /** The hub's own session tunables, instead of TUNNEL. */
  hubTunnel?: Partial<typeof TUNNEL>;
}

export async function startHubAndLaptop(options: HubAndLaptopOptions = {}): Promise<HubAndLaptop> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-faults-'));
  const sim = await startSimulator({ accounts: [{ id: 'lap-a', plan: 'max20x' }], chunkDelayMs: options.chunkDelayMs });
  const port = await freePort();
  const hubConfig = {
    name: 'hub',
    listen: `127.0.0.1:${port}`,
    state_dir: join(dir, 'hub-state'),
    users: [{ name: 'alice', token: USER, allow_external_usage: true }],
    peers: [{ name: 'laptop', token: LINK }, ...(options.extraPeers ?? [])],
    claude: { api_url: sim.url, credentials: [{ tag: 'laptop', type: 'external', peer: 'laptop' }] },
  };
  const hubs: NodeProcess[] = [];
  const startHub = async (forked: ForkedNode = forkNode()): Promise<NodeProcess> => {
    const hub = await forked.start({
      config: hubConfig,
      dir,
      options: { tunnel: { ...TUNNEL, ...options.hubTunnel }, drainMs: options.hubDrainMs ?? 5000 },
    });
    hubs.push(hub);
    return hub;
  };
  const initialTokens = simulatorTokens(sim);
  const hubReady = startHub();

  const credentialPath = await writeClaudeCredentialFile(sim, dir, 'lap-a');
  const { logger: laptopLogger, lines: laptopLogs } = capturingLogger();
  const laptopConfig = parseConfigValue(
    {
      name: 'laptop',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'laptop-state'),
      admin_token: ADMIN,
      peers: [{ name: 'hub', url: `http://127.0.0.1:${port}`, token: LINK, reverse: true, share: { claude: 'lap-a' } }],
      claude: { api_url: sim.url, oauth_url: sim.tokenUrl, credentials: [{ tag: 'lap-a', type: 'default', path: credentialPath }] },
    },
    { env: {}, homeDir: dir, baseDir: dir },
  );
  const setup: HubAndLaptop = {
    sim,
    hub: await hubReady,
    laptop: await startNode(laptopConfig, { logger: laptopLogger, tunnel: TUNNEL, drainMs: 500 }),
    laptopLogs,
    startHub: async (forked) => {
      setup.hub = await startHub(forked);
      return setup.hub;
    },
    laptopLedger: () => readLedger(join(dir, 'laptop-state', 'usage.jsonl')),
    hubLedger: () => readLedger(join(dir, 'hub-state', 'usage.jsonl')),
    close: async () => {
      await setup.laptop.close();
      await killAllNodeProcesses();
      const secrets = [USER, ADMIN, LINK, ...initialTokens, ...simulatorTokens(sim)];
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets([...laptopLogs, ...hubs.flatMap((hub) => hub.logs)], secrets);
    },
  };
  return setup;
}

async function readLedger(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until the hub can serve on the laptop's account (tunnel up and the laptop's status read). */
export async function hubServesThroughLaptop(hub: NodeProcess, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${hub.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${USER}` } });
      const status = (await response.json()) as { state: string; weekly_utilization: number };
      // Until the laptop has read its account's usage it reports no data, which reads as full.
      return status.state === 'usable' && status.weekly_utilization < 100;
    },
    { message: 'the hub to see the laptop usable with capacity', timeoutMs },
  );
}

export function postMessage(url: string, body = STREAM, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${USER}`, 'content-type': 'application/json' },
    body,
    signal,
  });
}

/** One gauge or counter value from a node's /metrics, or undefined when the series is absent. */
export async function metric(node: RunningNode, series: string): Promise<number | undefined> {
  const response = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const line = (await response.text()).split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
