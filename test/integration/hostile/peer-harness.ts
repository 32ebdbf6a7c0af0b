/**
 * A hub in its own process (so its memory can be read from /proc) and hostile peers in the test
 * process. A hostile peer holds a valid link token and speaks the real tunnel (signed handshake,
 * our yamux as connector); its HTTP answers (to the hub's status watch, to forwarded requests) are
 * whatever a test wants. The hub's own account on the simulator serves its local user.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type SimAccountSpec, type Simulator } from '../../../src/sim/index.ts';
import { createTunnelDialer, serveStreamsWith, type TunnelDialer } from '../../../src/tunnel/index.ts';
import { writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { assertNoSecrets, simulatorTokens } from '../../helpers/secrets.ts';
import { forkNode, killAllNodeProcesses, type NodeProcess } from '../../helpers/node-process.ts';
import type { NodeOptions } from '../../../src/node/index.ts';

export const USER = 'alice-token-0123456789-abcdefgh';
export const ADMIN = 'hub-admin-token-0123456789-abcd';
export const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

export interface HubSetup {
  sim: Simulator;
  hub: NodeProcess;
  dir: string;
  /** Where a test writes another account's credential file (e.g. for a second node). */
  credentialFile(accountId: string): Promise<string>;
  close(extraSecrets?: string[]): Promise<void>;
}

export interface HubConfigParts {
  simUrl: string;
  tokenUrl: string;
  /** The hub's own account's credential file (account `hub-a`). */
  hubPath: string;
  dir: string;
}

/** Starts the simulator (account `hub-a` plus `accounts`) and a hub process with `config(parts)`. */
export async function startHubProcess(
  config: (parts: HubConfigParts) => Record<string, unknown>,
  options: { accounts?: SimAccountSpec[]; node?: Omit<NodeOptions, 'logger' | 'clock'> } = {},
): Promise<HubSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-peers-'));
  const sim = await startSimulator({ accounts: [{ id: 'hub-a', plan: 'max20x' }, ...(options.accounts ?? [])] });
  const initialTokens = simulatorTokens(sim);
  const credentialFile = (id: string): Promise<string> => writeClaudeCredentialFile(sim, dir, id);
  const hubPath = await credentialFile('hub-a');
  const hub = await forkNode().start({
    config: config({ simUrl: sim.url, tokenUrl: sim.tokenUrl, hubPath, dir }),
    dir,
    options: { drainMs: 500, ...options.node },
  });
  return {
    sim,
    hub,
    dir,
    credentialFile,
    close: async (extraSecrets = []) => {
      await killAllNodeProcesses();
      const secrets = [USER, ADMIN, ...extraSecrets, ...initialTokens, ...simulatorTokens(sim)];
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(hub.logs, secrets);
    },
  };
}

/** A peer of the hub: its name, its link token, and any other keys of its `peers` entry. */
export type PeerEntry = { name: string; token: string } & Record<string, unknown>;

/**
 * The hub config the peer tests share: user `alice` (who may use external capacity) and a pool
 * that balances the hub's own account `hub-a` and each of `peers` as an external credential.
 * `alice` adds keys to alice's user entry; `balancer` to the pool's (e.g. a strategy, an order).
 */
export function pooledHubConfig(
  peers: PeerEntry[],
  options: { alice?: Record<string, unknown>; balancer?: Record<string, unknown> } = {},
): (parts: HubConfigParts) => Record<string, unknown> {
  const names = peers.map((peer) => peer.name);
  return ({ simUrl, tokenUrl, hubPath, dir }) => ({
    name: 'hub',
    listen: '127.0.0.1:0',
    state_dir: `${dir}/hub-state`,
    admin_token: ADMIN,
    users: [{ name: 'alice', token: USER, allow_external_usage: true, ...options.alice }],
    peers,
    claude: {
      route: 'pool',
      api_url: simUrl,
      oauth_url: tokenUrl,
      credentials: [
        { tag: 'hub-a', type: 'default', path: hubPath },
        ...names.map((name) => ({ tag: name, type: 'external', peer: name })),
        { tag: 'pool', type: 'balancer', credentials: ['hub-a', ...names], ...options.balancer },
      ],
    },
  });
}

/** Resident memory of a process, from /proc/<pid>/status (Linux). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

export const MiB = 1024 * 1024;

/**
 * Polls `isDone` while watching the process's memory: throws as soon as RSS has grown more than
 * `maxGrowthBytes` over `baselineBytes` (an unbounded buffer fails fast, not at the timeout).
 * Returns the largest growth seen.
 */
export async function untilWithBoundedMemory(
  pid: number,
  baselineBytes: number,
  maxGrowthBytes: number,
  isDone: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let peak = 0;
  for (;;) {
    const growth = (await residentBytes(pid)) - baselineBytes;
    peak = Math.max(peak, growth);
    if (growth > maxGrowthBytes) throw new Error(`RSS grew by ${(growth / MiB).toFixed(1)} MiB (bound ${maxGrowthBytes / MiB} MiB)`);
    if (await isDone()) return peak;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms (RSS growth ${(peak / MiB).toFixed(1)} MiB)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function adminStatus(
  hub: NodeProcess,
): Promise<{ plan_weight: number | null; state: string; credentials: Array<{ tag: string; state: string; plan_weight: number }> }> {
  const response = await fetch(`${hub.url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await response.json()) as { providers: { claude: Awaited<ReturnType<typeof adminStatus>> } };
  return body.providers.claude;
}

export async function userStatus(
  hub: NodeProcess,
  token = USER,
): Promise<{ plan_weight: number | null; state: string; five_hour_utilization: number | null }> {
  const response = await fetch(`${hub.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as Awaited<ReturnType<typeof userStatus>>;
}

/** One local user's request to the hub: its status and which simulated account served it. */
export async function postMessage(hub: NodeProcess, token = USER): Promise<number> {
  const response = await fetch(`${hub.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: MESSAGE,
  });
  await response.arrayBuffer();
  return response.status;
}

export interface FakePeer {
  readonly dialer: TunnelDialer;
  /** Status watch requests the hub sent us. */
  readonly watchRequests: number;
  /** Every other request the hub forwarded to us. */
  readonly otherRequests: number;
  /** Destroys the tunnel at once (no GoAway) and stops dialing: the peer is gone. */
  kill(): Promise<void>;
}

export interface FakePeerOptions {
  hubUrl: string;
  /** Our name as the hub knows us (and, unless `nodeName` says otherwise, the name we sign). */
  name: string;
  nodeName?: string;
  token: string;
  /** Answers `GET /v1/status?...&watch=true`. */
  onWatch(response: http.ServerResponse): void;
  /** Answers any other request; default 503. */
  onRequest?(request: http.IncomingMessage, response: http.ServerResponse): void;
}

/** A status frame as a node writes it (the seven public keys). */
export function statusFrame(fields: Partial<Record<string, unknown>> = {}): string {
  return `${JSON.stringify({ five_hour_utilization: 0, five_hour_reset: 0, weekly_utilization: 0, weekly_reset: 0, plan_weight: 10, state: 'usable', retry_at: 0, ...fields })}\n`;
}

/** A status watch answer: the head, then one frame with `fields`; the stream stays open. */
export function answerWatch(fields: Partial<Record<string, unknown>>): (response: http.ServerResponse) => void {
  return (response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    response.write(statusFrame(fields));
  };
}

export function linkFakePeer(options: FakePeerOptions): FakePeer {
  let watchRequests = 0;
  let otherRequests = 0;
  const server = http.createServer((request, response) => {
    if ((request.url ?? '').startsWith('/v1/status') && (request.url ?? '').includes('watch=true')) {
      watchRequests += 1;
      options.onWatch(response);
    } else {
      otherRequests += 1;
      request.resume();
      if (options.onRequest !== undefined) options.onRequest(request, response);
      else
        response
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"type":"error","error":{"type":"overloaded_error","message":"fake peer"}}');
    }
  });
  const dialer = createTunnelDialer({
    url: options.hubUrl,
    nodeName: options.nodeName ?? options.name,
    token: options.token,
    peerName: 'hub',
    onSession: (_name, session) => serveStreamsWith(session, server),
    reconnect: { baseMs: 100, maxMs: 1000 },
  });
  return {
    dialer,
    get watchRequests() {
      return watchRequests;
    },
    get otherRequests() {
      return otherRequests;
    },
    kill: async () => {
      dialer.session?.destroy();
      await dialer.close();
      server.closeAllConnections();
    },
  };
}
