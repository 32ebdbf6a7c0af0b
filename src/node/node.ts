/**
 * Composition root: builds a node from a validated config. Start order is written once here;
 * close() runs it backwards (stop intake, drain ≤ 10 s, stop timers and watchers, flush logs).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { onceClose, sleep, systemClock, type Clock } from '../lib/index.ts';
import { ClaudeDefaultCredential, ProviderPool, type Credential, type RouteDefinition } from '../pool/index.ts';
import type { Provider } from '../status/index.ts';
import { TokenTable } from './auth.ts';
import type { Config, ProviderConfig } from './config-schema.ts';
import { createLogger } from './logger.ts';
import { buildServer } from './server.ts';
import { Ledger } from './ledger.ts';
import { StateStore } from './state-store.ts';

export interface NodeOptions {
  clock?: Clock;
  logger?: Logger;
  /** How long close() waits for in-flight requests before cutting them (SPEC §1: 10 s). */
  drainMs?: number;
}

export interface RunningNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pools: Partial<Record<Provider, ProviderPool>>;
  /** Path of the usage ledger (state_dir/usage.jsonl). */
  readonly ledgerPath: string;
  close(): Promise<void>;
}

export async function startNode(config: Config, options: NodeOptions = {}): Promise<RunningNode> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log_level, name: config.name });
  const shutdown = new AbortController();
  const state = new StateStore(config.state_dir, logger.child({ component: 'state' }));
  await state.load();
  const pools: Partial<Record<Provider, ProviderPool>> = {};
  if (config.claude) pools.claude = await buildClaudePool(config.claude, clock, logger, state);
  const unsubscribeState = Object.values(pools).map((pool) => pool.onChange(() => state.scheduleSave()));

  const ledger = new Ledger(config.state_dir, logger.child({ component: 'ledger' }));
  const app = buildServer({
    ledger,
    config,
    tokens: new TokenTable(config),
    pools,
    clock,
    logger,
    shutdown: shutdown.signal,
    https: config.tls && { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
  });
  const { host, port } = splitListen(config.listen);
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const scheme = config.tls ? 'https' : 'http';
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info({ listen: `${urlHost}:${address.port}` }, 'node listening');

  const close = onceClose(async () => {
    const drainMs = options.drainMs ?? 10_000;
    const closing = app.close();
    // Status watchers never finish on their own: end them now, not after the drain timeout.
    shutdown.abort();
    // A keep-alive connection whose last response finishes during the drain would otherwise
    // hold close() until the client hangs up; sweep idle connections as they appear.
    const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
    const drained = await Promise.race([closing.then(() => true), sleep(drainMs).then(() => false)]);
    clearInterval(sweep);
    if (!drained) {
      app.server.closeAllConnections();
      await closing;
    }
    unsubscribeState.forEach((unsubscribe) => unsubscribe());
    await state.close();
    await Promise.all(Object.values(pools).map((pool) => pool.close()));
    ledger.close();
    logger.info('node stopped');
    logger.flush();
  });
  return { name: config.name, url: `${scheme}://${urlHost}:${address.port}`, port: address.port, pools, ledgerPath: ledger.path, close };
}

async function buildClaudePool(section: ProviderConfig, clock: Clock, logger: Logger, state: StateStore): Promise<ProviderPool> {
  const credentials: Credential[] = [];
  const routes: RouteDefinition[] = [];
  for (const credential of section.credentials) {
    if (credential.type === 'default') {
      const instance = new ClaudeDefaultCredential({
        tag: credential.tag,
        path: credential.path,
        apiUrl: section.api_url,
        oauthUrl: section.oauth_url,
        cap5h: capOf(credential.limit_5h, credential.reserve_5h),
        capWeekly: capOf(credential.limit_weekly, credential.reserve_weekly),
        clock,
        logger: logger.child({ component: 'credential', credential: credential.tag }),
      });
      state.register(`claude/${credential.tag}`, instance);
      await instance.start();
      credentials.push(instance);
    } else if (credential.type === 'balancer') {
      routes.push({ tag: credential.tag, members: credential.credentials, strategy: credential.strategy, rebalanceThreshold: credential.rebalance_threshold });
    }
  }
  return new ProviderPool('claude', credentials, routes, { logger: logger.child({ component: 'pool', provider: 'claude' }) });
}

/** SPEC §2: cap = limit if set, else 100 − reserve, where reserve 0 means 1 (default cap 99). */
export function capOf(limit: number | undefined, reserve: number | undefined): number {
  if (limit !== undefined) return limit;
  return 100 - Math.max(1, reserve ?? 1);
}

function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) };
}
