/**
 * Config section → ProviderPool. Default credentials are provider-specific (a kit per provider);
 * external credentials and balancers are the same for every provider.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import {
  ClaudeDefaultCredential,
  ExternalCredential,
  ProviderPool,
  type Credential,
  type PeerHeaderReading,
  type RouteDefinition,
  type UpstreamOutcome,
} from '../pool/index.ts';
import type { Provider } from '../status/index.ts';
import { parseUnifiedHeaders } from '../upstream/index.ts';
import { DEFAULT_MAX_PLAN_WEIGHT, type DefaultCredentialConfig, type PeerConfig, type ProviderConfig } from './config-schema.ts';
import type { Mesh } from './mesh.ts';
import type { StateStore } from './state-store.ts';

export interface PoolDeps {
  clock: Clock;
  logger: Logger;
  state: StateStore;
  mesh: Mesh;
  peers: readonly PeerConfig[];
}

/** A default credential the node starts, persists and closes. */
export interface StartableCredential extends Credential {
  start(): Promise<void> | void;
  persistentState(): unknown;
  restoreState(state: unknown): void;
}

export interface ProviderKit {
  createDefault(credential: DefaultCredentialConfig, section: ProviderConfig, deps: PoolDeps): StartableCredential;
  parsePeerHeaders(headers: UpstreamOutcome['headers'], nowSeconds: number): PeerHeaderReading | undefined;
}

export const claudeKit: ProviderKit = {
  createDefault: (credential, section, deps) =>
    new ClaudeDefaultCredential({
      tag: credential.tag,
      path: credential.path,
      apiUrl: section.api_url,
      oauthUrl: section.oauth_url,
      cap5h: capOf(credential.limit_5h, credential.reserve_5h),
      capWeekly: capOf(credential.limit_weekly, credential.reserve_weekly),
      clock: deps.clock,
      logger: deps.logger.child({ component: 'credential', provider: 'claude', credential: credential.tag }),
    }),
  parsePeerHeaders: (headers, nowSeconds) => parseUnifiedHeaders(headers, nowSeconds),
};

export async function buildPool(provider: Provider, section: ProviderConfig, kit: ProviderKit, deps: PoolDeps): Promise<ProviderPool> {
  const credentials: Credential[] = [];
  const routes: RouteDefinition[] = [];
  const externals: ExternalCredential[] = [];
  for (const credential of section.credentials) {
    if (credential.type === 'default') {
      const instance = kit.createDefault(credential, section, deps);
      deps.state.register(`${provider}/${credential.tag}`, instance);
      await instance.start();
      credentials.push(instance);
    } else if (credential.type === 'external') {
      const instance = new ExternalCredential({
        tag: credential.tag,
        provider,
        link: deps.mesh.link(credential.peer),
        clock: deps.clock,
        logger: deps.logger.child({ component: 'credential', provider, credential: credential.tag, peer: credential.peer }),
        parseHeaders: kit.parsePeerHeaders,
        maxPlanWeight: deps.peers.find((peer) => peer.name === credential.peer)?.max_plan_weight ?? DEFAULT_MAX_PLAN_WEIGHT,
      });
      externals.push(instance);
      credentials.push(instance);
    } else {
      routes.push({ tag: credential.tag, members: credential.credentials, strategy: credential.strategy, rebalanceThreshold: credential.rebalance_threshold });
    }
  }
  for (const external of externals) external.start();
  return new ProviderPool(provider, credentials, routes, { logger: deps.logger.child({ component: 'pool', provider }), clock: deps.clock });
}

/** CONFIG.md › Caps: cap = limit if set, else 100 − reserve, where reserve 0 means 1 (default cap 99). */
export function capOf(limit: number | undefined, reserve: number | undefined): number {
  if (limit !== undefined) return limit;
  return 100 - Math.max(1, reserve ?? 1);
}
