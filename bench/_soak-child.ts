/**
 * One soak process: the simulator or a node. Started by bench/_soak-mesh.ts; answers `stats`
 * (RSS, heap after a GC, active handles, and for the simulator every token its accounts hold, so
 * the soak can scan the logs for them) and `close` over IPC.
 */
import { pino } from 'pino';
import { createLogger, parseConfigValue, startNode, type RunningNode } from '../src/node/index.ts';
import {
  claudeCredentialFile,
  codexAuthFile,
  startSimulator,
  type CodexAccountSpec,
  type SimAccountSpec,
  type Simulator,
} from '../src/sim/index.ts';

export type SoakChildMessage =
  | { kind: 'sim'; accounts: SimAccountSpec[]; codexAccounts: CodexAccountSpec[] }
  | { kind: 'node'; config: unknown; dir: string; logFile: string }
  | { kind: 'stats' }
  | { kind: 'close' };

export interface SoakStats {
  rssBytes: number;
  heapUsedBytes: number;
  handles: number;
  tokens: string[];
}

let sim: Simulator | undefined;
let node: RunningNode | undefined;

async function startSim(message: Extract<SoakChildMessage, { kind: 'sim' }>): Promise<Record<string, unknown>> {
  const started = await startSimulator({
    accounts: message.accounts,
    codexAccounts: message.codexAccounts,
    // Short lifetimes, so the nodes refresh tokens (and rewrite credential files) during the soak.
    tokenLifetimeMs: 7 * 60_000,
    codexTokenLifetimeMs: 150_000,
  });
  sim = started;
  // The soak measures the mesh, not 429 handling: keep every account far from its limits, and
  // forget the request log the simulator keeps for tests, which would grow for the whole run.
  setInterval(() => {
    for (const { id } of started.accounts) started.setUsage(id, { fiveHourUtilization: 5, weeklyUtilization: 5 });
    for (const { id } of started.codexAccounts) started.setCodexUsage(id, { fiveHourUtilization: 5, weeklyUtilization: 5 });
    started.clearReceived();
  }, 1000).unref();
  return {
    url: started.url,
    tokenUrl: started.tokenUrl,
    codex: { api_url: started.codexApiUrl, usage_url: started.codexUsageUrl, oauth_url: started.codexTokenUrl },
    claudeFiles: Object.fromEntries(started.accounts.map((account) => [account.id, claudeCredentialFile(account)])),
    codexFiles: Object.fromEntries(started.codexAccounts.map((account) => [account.id, codexAuthFile(account)])),
  };
}

async function startSoakNode(message: Extract<SoakChildMessage, { kind: 'node' }>): Promise<Record<string, unknown>> {
  const config = parseConfigValue(message.config, { env: {}, homeDir: message.dir, baseDir: message.dir });
  const destination = pino.destination({ dest: message.logFile, sync: false, mkdir: true });
  node = await startNode(config, { logger: createLogger({ level: 'info', destination }), drainMs: 2000 });
  return { url: node.url, port: node.port };
}

function stats(): SoakStats {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const tokens =
    sim === undefined
      ? []
      : [
          ...sim.accounts.flatMap((account) => [account.accessToken, account.refreshToken]),
          ...sim.codexAccounts.flatMap((account) => [account.accessToken, account.refreshToken, account.idToken]),
        ];
  return { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, handles: process.getActiveResourcesInfo().length, tokens };
}

async function answer(message: SoakChildMessage): Promise<unknown> {
  switch (message.kind) {
    case 'sim':
      return startSim(message);
    case 'node':
      return startSoakNode(message);
    case 'stats':
      return stats();
    case 'close':
      await node?.close();
      await sim?.close();
      return { closed: true };
  }
}

process.on('message', (envelope: { id: number; message: SoakChildMessage }) => {
  answer(envelope.message).then(
    (reply) => process.send?.({ id: envelope.id, reply }),
    (error: unknown) => process.send?.({ id: envelope.id, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
