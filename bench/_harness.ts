/** Starts bench servers as child processes and stops them again. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHILD = join(import.meta.dirname, '_child.ts');

export interface BenchServer {
  url: string;
  reply: Record<string, unknown>;
  stop(): void;
}

export async function startChild(message: unknown): Promise<BenchServer> {
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of each server process into DIR.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--import', 'tsx', ...profile],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('message', (value) => resolve(value as Record<string, unknown>));
    child.once('exit', (code) => reject(new Error(`bench child exited with ${code}`)));
    child.send(message as object);
  });
  return {
    url: String(reply.url),
    reply,
    stop: () => {
      // Disconnecting lets the child exit normally (and write its profile); the kill is a backstop.
      child.disconnect();
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
}

export interface SimWithNode {
  sim: BenchServer;
  node: BenchServer;
  userToken: string;
  accessToken: string;
  stop(): void;
}

/** The simulator plus one node balancing over its accounts. */
export async function startSimAndNode(accounts: number): Promise<SimWithNode> {
  const sim = await startChild({ kind: 'sim', accounts });
  const dir = mkdtempSync(join(tmpdir(), 'qm-bench-'));
  const simAccounts = sim.reply.accounts as Array<{ id: string; file: { claudeAiOauth: { accessToken: string } } }>;
  const credentials = simAccounts.map((account) => {
    mkdirSync(join(dir, account.id));
    const path = join(dir, account.id, '.credentials.json');
    writeFileSync(path, JSON.stringify(account.file));
    return { tag: account.id, type: 'default', path };
  });
  const userToken = 'bench-user-token-0123456789abcdef';
  const node = await startChild({
    kind: 'node',
    dir,
    config: {
      name: 'bench',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      log_level: 'silent',
      users: [{ name: 'bench', token: userToken }],
      claude: {
        route: 'pool',
        api_url: sim.url,
        oauth_url: String(sim.reply.tokenUrl),
        credentials: [...credentials, { tag: 'pool', type: 'balancer', credentials: credentials.map((credential) => credential.tag) }],
      },
    },
  });
  return {
    sim,
    node,
    userToken,
    accessToken: simAccounts[0]?.file.claudeAiOauth.accessToken ?? '',
    stop: () => {
      node.stop();
      sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MeshChildren extends SimWithNode {
  hub: BenchServer;
  laptop: BenchServer;
}

/**
 * Adds the mesh path to startSimAndNode: a hub whose only credential is the laptop, reached
 * through the reverse tunnel the laptop dials. Resolves once the hub sees the laptop's capacity.
 * `protocol: 'sing-box'` links the two over sing-box's wire instead of ours (`/ccm/v1/reverse`,
 * raw TCP + yamux, Bearer-authenticated HTTP/1.1 down the tunnel).
 */
export async function startMeshChildren(protocol: 'quotamesh' | 'sing-box' = 'quotamesh'): Promise<MeshChildren> {
  const base = await startSimAndNode(1);
  const dir = mkdtempSync(join(tmpdir(), 'qm-bench-mesh-'));
  const simAccounts = base.sim.reply.accounts as Array<{ id: string; file: unknown }>;
  const account = simAccounts[0];
  if (account === undefined) throw new Error('simulator has no account');
  const path = join(dir, 'laptop.credentials.json');
  writeFileSync(path, JSON.stringify(account.file));
  const link = 'bench-link-token-0123456789abcdef';
  const hub = await startChild({
    kind: 'node',
    dir,
    config: {
      name: 'hub',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'hub-state'),
      log_level: 'silent',
      users: [{ name: 'bench', token: base.userToken, allow_external_usage: true }],
      peers: [{ name: 'laptop', token: link, protocol }],
      claude: { api_url: base.sim.url, credentials: [{ tag: 'laptop', type: 'external', peer: 'laptop' }] },
    },
  });
  const laptop = await startChild({
    kind: 'node',
    dir,
    config: {
      name: 'laptop',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'laptop-state'),
      log_level: 'silent',
      peers: [{ name: 'hub', url: hub.url, token: link, reverse: true, protocol }],
      claude: { api_url: base.sim.url, oauth_url: String(base.sim.reply.tokenUrl), credentials: [{ tag: 'mine', type: 'default', path }] },
    },
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${hub.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${base.userToken}` } });
    const status = (await response.json()) as { plan_weight: number };
    if (status.plan_weight > 0) break;
    if (Date.now() > deadline) throw new Error('the laptop never linked to the hub');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    ...base,
    hub,
    laptop,
    stop: () => {
      laptop.stop();
      hub.stop();
      base.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
