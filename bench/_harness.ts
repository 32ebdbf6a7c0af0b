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
  const child: ChildProcess = fork(CHILD, [], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
