/**
 * A hub, a laptop that dials it (connector), and the simulator, all in one test process: the
 * story of issue 5. Each node has its own simulated account; the hub balances over its own and
 * the laptop's capacity.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode, type RunningNode } from '../../src/node/index.ts';
import { startSimulator, type SimAccountSpec, type Simulator } from '../../src/sim/index.ts';
import { writeClaudeCredentialFile } from './claude-credential-file.ts';
import { capturingLogger } from './log-capture.ts';
import { assertNoSecrets, simulatorTokens } from './secrets.ts';
import { waitFor } from './wait-for.ts';

export const TOKENS = {
  alice: 'alice-token-0123456789-abcdefgh',
  bob: 'bob-token-0123456789-abcdefghij',
  laptopUser: 'laptop-user-token-0123456789-ab',
  link: 'hub-laptop-link-0123456789-abcd',
  admin: 'hub-admin-token-0123456789-abcd',
};

export interface Mesh {
  sim: Simulator;
  hub: RunningNode;
  laptop: RunningNode;
  logs: string[];
  restartHub(): Promise<RunningNode>;
  close(): Promise<void>;
}

export interface MeshOptions {
  hubAccount?: SimAccountSpec;
  laptopAccount?: SimAccountSpec;
  /** Extra hub credentials/peers (e.g. a receiver that never dials). */
  hubExtra?: { peers?: unknown[]; credentials?: unknown[]; poolMembers?: string[] };
  /** The hub's `peers[laptop].limits` (issue 15). */
  laptopLimits?: Record<string, unknown>;
  /** Extra top-level keys of the laptop's config (e.g. `alerts`). */
  laptopExtra?: Record<string, unknown>;
  /** The laptop user's claude route (e.g. `hub`: only through the hub). */
  laptopUserRoute?: string;
}

export async function startMesh(options: MeshOptions = {}): Promise<Mesh> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-mesh-'));
  const sim = await startSimulator({
    accounts: [
      { id: 'hub-a', plan: 'max20x', ...options.hubAccount },
      { id: 'lap-a', plan: 'max20x', ...options.laptopAccount },
    ],
  });
  const initialTokens = simulatorTokens(sim);
  const credentialFile = (id: string): Promise<string> => writeClaudeCredentialFile(sim, dir, id);
  const { logger, lines: logs } = capturingLogger();
  const environment = { env: {}, homeDir: dir, baseDir: dir };
  const tunnel = { keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000 };
  const hubConfig = (port: number) =>
    parseConfigValue(
      {
        name: 'hub',
        listen: `127.0.0.1:${port}`,
        state_dir: join(dir, 'hub-state'),
        admin_token: TOKENS.admin,
        users: [
          { name: 'alice', token: TOKENS.alice, allow_external_usage: true },
          { name: 'bob', token: TOKENS.bob },
        ],
        peers: [
          {
            name: 'laptop',
            token: TOKENS.link,
            share: { claude: 'hub-a' },
            ...(options.laptopLimits === undefined ? {} : { limits: options.laptopLimits }),
          },
          ...(options.hubExtra?.peers ?? []),
        ],
        claude: {
          route: 'pool',
          api_url: sim.url,
          oauth_url: sim.tokenUrl,
          credentials: [
            { tag: 'hub-a', type: 'default', path: hubPath },
            { tag: 'laptop', type: 'external', peer: 'laptop' },
            ...(options.hubExtra?.credentials ?? []),
            { tag: 'pool', type: 'balancer', credentials: ['hub-a', 'laptop', ...(options.hubExtra?.poolMembers ?? [])] },
          ],
        },
      },
      environment,
    );
  const hubPath = await credentialFile('hub-a');
  const lapPath = await credentialFile('lap-a');
  let hub = await startNode(hubConfig(0), { logger: logger.child({ node: 'hub' }), drainMs: 500, tunnel });
  const hubPort = hub.port;
  const laptop = await startNode(
    parseConfigValue(
      {
        name: 'laptop',
        listen: '127.0.0.1:0',
        state_dir: join(dir, 'laptop-state'),
        users: [
          {
            name: 'me',
            token: TOKENS.laptopUser,
            allow_external_usage: true,
            ...(options.laptopUserRoute === undefined ? {} : { claude: options.laptopUserRoute }),
          },
        ],
        peers: [{ name: 'hub', url: hub.url, token: TOKENS.link, reverse: true, share: { claude: 'lap-pool' } }],
        claude: {
          route: 'lap-pool',
          api_url: sim.url,
          oauth_url: sim.tokenUrl,
          credentials: [
            { tag: 'lap-a', type: 'default', path: lapPath },
            { tag: 'hub', type: 'external', peer: 'hub' },
            { tag: 'lap-pool', type: 'balancer', credentials: ['lap-a', 'hub'] },
          ],
        },
        ...options.laptopExtra,
      },
      environment,
    ),
    { logger: logger.child({ node: 'laptop' }), drainMs: 500, tunnel },
  );
  const mesh: Mesh = {
    sim,
    hub,
    laptop,
    logs,
    restartHub: async () => {
      await mesh.hub.close();
      hub = await startNode(hubConfig(hubPort), { logger: logger.child({ node: 'hub' }), drainMs: 500, tunnel });
      mesh.hub = hub;
      return hub;
    },
    close: async () => {
      await mesh.laptop.close();
      await mesh.hub.close();
      const extraPeerTokens = (options.hubExtra?.peers ?? []).map((peer) => String((peer as { token?: unknown }).token ?? ''));
      const secrets = [...Object.values(TOKENS), ...extraPeerTokens, ...initialTokens, ...simulatorTokens(sim)];
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(logs, secrets);
    },
  };
  return mesh;
}

/** Resolves when `node` reports the peer's tunnel up (or at once if it already is). */
export async function tunnelUp(node: RunningNode, peer: string): Promise<void> {
  await waitFor(() => node.isTunnelUp(peer), `the tunnel to ${peer} to come up`);
}
