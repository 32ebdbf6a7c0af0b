/**
 * The demo's topology: a public hub and a laptop behind "NAT" that dials the hub, each with its
 * own simulated subscriptions; the hub's user may draw on both. Shared by `quotamesh demo`, the
 * mesh bench and tests, so what a newcomer tries is what we measure.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger, parseConfigValue, startNode, type RunningNode } from '../node/index.ts';
import { claudeCredentialFile, codexAuthFile, startSimulator, type Simulator } from '../sim/index.ts';
import { newToken } from './token.ts';

export interface DemoMesh {
  sim: Simulator;
  hub: RunningNode;
  laptop: RunningNode;
  userToken: string;
  adminToken: string;
  close(): Promise<void>;
}

export interface DemoMeshOptions {
  directory: string;
  hubPort?: number;
  logLevel?: string;
  logger?: Logger;
  chunkDelayMs?: number;
}

const WITH_EXTRA_USAGE = { hasExtraUsage: true };

export async function startDemoMesh(options: DemoMeshOptions): Promise<DemoMesh> {
  const sim = await startSimulator({
    chunkDelayMs: options.chunkDelayMs,
    // Claude Code 2.1.197 asks for the 1M-context beta by default; without extra usage the
    // simulated accounts (like the real ones) refuse that, so the demo's accounts have it.
    accounts: [
      { id: 'hub-max20x', plan: 'max20x', fiveHourUtilization: 30, weeklyUtilization: 45, settings: WITH_EXTRA_USAGE },
      { id: 'laptop-max20x', plan: 'max20x', fiveHourUtilization: 10, weeklyUtilization: 20, settings: WITH_EXTRA_USAGE },
      { id: 'laptop-pro', plan: 'pro', fiveHourUtilization: 5, weeklyUtilization: 10, settings: WITH_EXTRA_USAGE },
    ],
    codexAccounts: [
      { id: 'hub-codex-pro', plan: 'pro', fiveHourUtilization: 25, weeklyUtilization: 40 },
      { id: 'laptop-codex-plus', plan: 'plus', fiveHourUtilization: 10, weeklyUtilization: 15 },
    ],
  });
  const files = new Map<string, string>();
  for (const account of sim.accounts) {
    await mkdir(join(options.directory, account.id), { recursive: true, mode: 0o700 });
    const path = join(options.directory, account.id, '.credentials.json');
    await writeFile(path, `${JSON.stringify(claudeCredentialFile(account), null, 2)}\n`, { mode: 0o600 });
    files.set(account.id, path);
  }
  for (const account of sim.codexAccounts) {
    await mkdir(join(options.directory, account.id), { recursive: true, mode: 0o700 });
    const path = join(options.directory, account.id, 'auth.json');
    await writeFile(path, `${JSON.stringify(codexAuthFile(account), null, 2)}\n`, { mode: 0o600 });
    files.set(account.id, path);
  }
  const codexUpstream = { api_url: sim.codexApiUrl, usage_url: sim.codexUsageUrl, oauth_url: sim.codexTokenUrl };
  const userToken = newToken();
  const adminToken = newToken();
  const linkToken = newToken();
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'warn' });
  const environment = { env: {}, homeDir: options.directory, baseDir: options.directory };
  const upstream = { api_url: sim.url, oauth_url: sim.tokenUrl };
  const credential = (id: string) => ({ tag: id, type: 'default', path: files.get(id) });

  const hub = await startNode(
    parseConfigValue(
      {
        name: 'hub',
        listen: `127.0.0.1:${options.hubPort ?? 8787}`,
        state_dir: join(options.directory, 'hub-state'),
        admin_token: adminToken,
        users: [{ name: 'you', token: userToken, allow_external_usage: true }],
        peers: [{ name: 'laptop', token: linkToken, share: { claude: 'hub-max20x', codex: 'hub-codex-pro' } }],
        claude: {
          route: 'pool',
          ...upstream,
          credentials: [
            credential('hub-max20x'),
            { tag: 'laptop', type: 'external', peer: 'laptop' },
            { tag: 'pool', type: 'balancer', credentials: ['hub-max20x', 'laptop'] },
          ],
        },
        codex: {
          route: 'cx-pool',
          ...codexUpstream,
          credentials: [
            credential('hub-codex-pro'),
            { tag: 'laptop-codex', type: 'external', peer: 'laptop' },
            { tag: 'cx-pool', type: 'balancer', credentials: ['hub-codex-pro', 'laptop-codex'] },
          ],
        },
      },
      environment,
    ),
    { logger: logger.child({ node: 'hub' }) },
  );
  const laptop = await startNode(
    parseConfigValue(
      {
        name: 'laptop',
        listen: '127.0.0.1:0',
        state_dir: join(options.directory, 'laptop-state'),
        users: [{ name: 'laptop-owner', token: newToken(), allow_external_usage: true }],
        peers: [{ name: 'hub', url: hub.url, token: linkToken, reverse: true, share: { claude: 'mine', codex: 'laptop-codex-plus' } }],
        claude: {
          route: 'everything',
          ...upstream,
          credentials: [
            credential('laptop-max20x'),
            credential('laptop-pro'),
            { tag: 'hub', type: 'external', peer: 'hub' },
            { tag: 'mine', type: 'balancer', credentials: ['laptop-max20x', 'laptop-pro'] },
            { tag: 'everything', type: 'balancer', credentials: ['laptop-max20x', 'laptop-pro', 'hub'] },
          ],
        },
        codex: { ...codexUpstream, credentials: [credential('laptop-codex-plus')] },
      },
      environment,
    ),
    { logger: logger.child({ node: 'laptop' }) },
  );
  return {
    sim,
    hub,
    laptop,
    userToken,
    adminToken,
    close: async () => {
      await laptop.close();
      await hub.close();
      await sim.close();
    },
  };
}
