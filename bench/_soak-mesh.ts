/**
 * The soak's mesh, each part in its own process: the simulator, a hub, and a laptop that dials
 * the hub through a TCP forwarder (so the tunnel can be cut). The hub has one user whose routes
 * are the laptop's capacity only (every request crosses the tunnel) and one on the balanced pools
 * (hub's own accounts and the laptop's), as in `quotamesh demo`. Only 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SoakStats } from './_soak-child.ts';
import { SoakProcess, startForwarder, type Forwarder } from './_soak-process.ts';

const token = (): string => randomBytes(32).toString('base64url');

export interface SoakMesh {
  hubUrl: string;
  tokens: { tunnelUser: string; poolUser: string; hubAdmin: string; laptopAdmin: string; link: string };
  laptopUrl: string;
  paths: { hubLedger: string; laptopLedger: string; hubLog: string; laptopLog: string };
  /** The processes now running, by role. */
  processes(): { sim: SoakProcess; hub: SoakProcess; laptop: SoakProcess };
  stats(): Promise<Record<'sim' | 'hub' | 'laptop', SoakStats | undefined>>;
  cutTunnel(): number;
  /** SIGKILL the hub and start it again on the same port and state_dir; `onKilled` runs in between. */
  restartHub(onKilled: () => void): Promise<void>;
  /** Resolves once the hub sees both of the laptop's providers through the tunnel. */
  linked(timeoutMs: number): Promise<void>;
  /** Stops every process; ledgers and logs stay in `dir` until removeFiles(). */
  stop(): Promise<void>;
  dir: string;
  removeFiles(): void;
}

export async function startSoakMesh(): Promise<SoakMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'qm-soak-'));
  const tokens = { tunnelUser: token(), poolUser: token(), hubAdmin: token(), laptopAdmin: token(), link: token() };
  const sim = new SoakProcess('sim');
  const upstream = await sim.request<{
    url: string;
    tokenUrl: string;
    codex: object;
    claudeFiles: Record<string, unknown>;
    codexFiles: Record<string, unknown>;
  }>({
    kind: 'sim',
    accounts: [
      { id: 'hub-max20x', plan: 'max20x' },
      { id: 'laptop-max20x', plan: 'max20x' },
      { id: 'laptop-pro', plan: 'pro' },
    ],
    codexAccounts: [
      { id: 'hub-codex-pro', plan: 'pro' },
      { id: 'laptop-codex-plus', plan: 'plus' },
    ],
  });
  const credential = (id: string, file: string, content: unknown) => {
    mkdirSync(join(dir, id), { recursive: true, mode: 0o700 });
    const path = join(dir, id, file);
    writeFileSync(path, JSON.stringify(content, null, 2), { mode: 0o600 });
    return { tag: id, type: 'default', path };
  };
  const claude = Object.fromEntries(
    Object.entries(upstream.claudeFiles).map(([id, content]) => [id, credential(id, '.credentials.json', content)]),
  );
  const codex = Object.fromEntries(Object.entries(upstream.codexFiles).map(([id, content]) => [id, credential(id, 'auth.json', content)]));
  const claudeUpstream = { api_url: upstream.url, oauth_url: upstream.tokenUrl };
  const paths = {
    hubLedger: join(dir, 'hub-state', 'usage.jsonl'),
    laptopLedger: join(dir, 'laptop-state', 'usage.jsonl'),
    hubLog: join(dir, 'logs', 'hub.log'),
    laptopLog: join(dir, 'logs', 'laptop.log'),
  };
  const hubConfig = (port: number) => ({
    name: 'hub',
    listen: `127.0.0.1:${port}`,
    state_dir: join(dir, 'hub-state'),
    admin_token: tokens.hubAdmin,
    users: [
      { name: 'via-tunnel', token: tokens.tunnelUser, allow_external_usage: true, claude: 'laptop', codex: 'laptop-codex' },
      { name: 'pooled', token: tokens.poolUser, allow_external_usage: true },
    ],
    peers: [{ name: 'laptop', token: tokens.link, share: { claude: 'hub-max20x', codex: 'hub-codex-pro' } }],
    claude: {
      route: 'pool',
      ...claudeUpstream,
      credentials: [
        claude['hub-max20x'],
        { tag: 'laptop', type: 'external', peer: 'laptop' },
        { tag: 'pool', type: 'balancer', credentials: ['hub-max20x', 'laptop'] },
      ],
    },
    codex: {
      route: 'cx-pool',
      ...upstream.codex,
      credentials: [
        codex['hub-codex-pro'],
        { tag: 'laptop-codex', type: 'external', peer: 'laptop' },
        { tag: 'cx-pool', type: 'balancer', credentials: ['hub-codex-pro', 'laptop-codex'] },
      ],
    },
  });
  const startHub = async (port: number): Promise<{ process: SoakProcess; url: string; port: number }> => {
    const process = new SoakProcess('hub');
    const reply = await process.request<{ url: string; port: number }>({
      kind: 'node',
      config: hubConfig(port),
      dir,
      logFile: paths.hubLog,
    });
    return { process, ...reply };
  };
  let hub = await startHub(0);
  const hubPort = hub.port;
  const forwarder: Forwarder = await startForwarder(hubPort);
  const laptop = new SoakProcess('laptop');
  const laptopReply = await laptop.request<{ url: string }>({
    kind: 'node',
    dir,
    logFile: paths.laptopLog,
    config: {
      name: 'laptop',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'laptop-state'),
      admin_token: tokens.laptopAdmin,
      peers: [
        { name: 'hub', url: forwarder.url, token: tokens.link, reverse: true, share: { claude: 'mine', codex: 'laptop-codex-plus' } },
      ],
      claude: {
        route: 'mine',
        ...claudeUpstream,
        credentials: [
          claude['laptop-max20x'],
          claude['laptop-pro'],
          { tag: 'mine', type: 'balancer', credentials: ['laptop-max20x', 'laptop-pro'] },
        ],
      },
      codex: { ...upstream.codex, credentials: [codex['laptop-codex-plus']] },
    },
  });

  const linked = async (timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await fetch(`${hub.url}/v1/status`, { headers: { authorization: `Bearer ${tokens.hubAdmin}` } })
        .then(
          (response) =>
            response.json() as Promise<{ providers: Record<string, { credentials: Array<{ tag: string; plan_weight: number }> }> }>,
        )
        .then((status) =>
          ['laptop', 'laptop-codex'].every((tag) =>
            Object.values(status.providers).some((p) => p.credentials.some((row) => row.tag === tag && row.plan_weight > 0)),
          ),
        )
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`the laptop did not link to the hub within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  return {
    get hubUrl() {
      return hub.url;
    },
    laptopUrl: laptopReply.url,
    tokens,
    paths,
    processes: () => ({ sim, hub: hub.process, laptop }),
    stats: async () => {
      const [simStats, hubStats, laptopStats] = await Promise.all([sim.stats(), hub.process.stats(), laptop.stats()]);
      return { sim: simStats, hub: hubStats, laptop: laptopStats };
    },
    cutTunnel: () => forwarder.cut(),
    restartHub: async (onKilled) => {
      await hub.process.kill();
      onKilled();
      hub = await startHub(hubPort);
    },
    linked,
    stop: async () => {
      await laptop.stop();
      await hub.process.stop();
      await sim.stop();
      await forwarder.close();
    },
    dir,
    removeFiles: () => rmSync(dir, { recursive: true, force: true }),
  };
}
