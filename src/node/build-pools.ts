/**
 * Config section → ProviderPool. Default credentials are made by the provider's module;
 * external credentials and balancers are the same for every provider.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import { ExternalCredential, ProviderPool, type Credential, type RouteDefinition } from '../pool/index.ts';
import type { AnyProviderModule, ConfigFields, SectionOf } from '../providers/index.ts';
import { DEFAULT_MAX_PLAN_WEIGHT, type PeerConfig, type ProviderConfig } from './config-schema.ts';
import type { Mesh } from './mesh.ts';
import type { StateStore } from './state-store.ts';

export interface PoolDeps {
  clock: Clock;
  logger: Logger;
  state: StateStore;
  mesh: Mesh;
  peers: readonly PeerConfig[];
  /** `tunnel.max_streams`: the most requests in flight to one peer. */
  maxStreams: number;
  /** The most requests waiting for a credential slot at once (`request_budget.concurrent`). */
  maxQueued: number;
}

export async function buildPool(module: AnyProviderModule, section: ProviderConfig, deps: PoolDeps): Promise<ProviderPool> {
  const provider = module.name;
  const credentials: Credential[] = [];
  const routes: RouteDefinition[] = [];
  const externals: ExternalCredential[] = [];
  for (const credential of section.credentials) {
    if (credential.type === 'default') {
      const instance = module.createDefaultCredential(
        {
          tag: credential.tag,
          path: credential.path,
          cap5h: capOf(credential.limit_5h, credential.reserve_5h),
          capWeekly: capOf(credential.limit_weekly, credential.reserve_weekly),
          maxConcurrent: credential.max_concurrent,
          clock: deps.clock,
          logger: deps.logger.child({ component: 'credential', provider, credential: credential.tag }),
        },
        // config-schema.ts parsed this section with the module's own fields.
        section as unknown as SectionOf<ConfigFields>,
      );
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
        parseHeaders: (headers, nowSeconds) => module.parseRateLimitHeaders(headers, nowSeconds),
        maxPlanWeight: deps.peers.find((peer) => peer.name === credential.peer)?.max_plan_weight ?? DEFAULT_MAX_PLAN_WEIGHT,
        // A peer's tunnel carries at most this many streams; more would fail to open.
        maxConcurrent: deps.maxStreams,
      });
      externals.push(instance);
      credentials.push(instance);
    } else {
      routes.push({
        tag: credential.tag,
        members: credential.credentials,
        strategy: credential.strategy,
        rebalanceThreshold: credential.rebalance_threshold,
      });
    }
  }
  for (const external of externals) external.start();
  return new ProviderPool(provider, credentials, routes, {
    logger: deps.logger.child({ component: 'pool', provider }),
    clock: deps.clock,
    maxQueued: deps.maxQueued,
  });
}

/** CONFIG.md › Caps: cap = limit if set, else 100 − reserve, where reserve 0 means 1 (default cap 99). */
export function capOf(limit: number | undefined, reserve: number | undefined): number {
  if (limit !== undefined) return limit;
  return 100 - Math.max(1, reserve ?? 1);
}
