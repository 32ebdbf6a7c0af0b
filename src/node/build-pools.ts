/**
 * Config section → ProviderPool. Default credentials are made by the provider's module;
 * external credentials and balancers are the same for every provider. A reload
 * (pool-reload.ts) makes its new credentials with the same functions.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import {
  ExternalCredential,
  ProviderPool,
  type Credential,
  type DisabledCredentials,
  type RouteDefinition,
  type SharedState,
} from '../pool/index.ts';
import type { AnyProviderModule, ConfigFields, ProviderName, SectionOf } from '../providers/index.ts';
import {
  DEFAULT_MAX_PLAN_WEIGHT,
  type DefaultCredentialConfig,
  type ExternalCredentialConfig,
  type PeerConfig,
  type ProviderConfig,
} from './config-schema.ts';
import type { Mesh } from './mesh.ts';

export interface PoolDeps {
  clock: Clock;
  logger: Logger;
  state: SharedState;
  mesh: Mesh;
  peers: readonly PeerConfig[];
  /** Operator-disabled credentials, shared by every pool (docs/ADMIN.md). */
  disabled?: DisabledCredentials;
  /** `tunnel.max_streams`: the most requests in flight to one peer. */
  maxStreams: number;
  /** The most requests waiting for a credential slot at once (`request_budget.concurrent`). */
  maxQueued: number;
}

export async function buildPool(module: AnyProviderModule, section: ProviderConfig, deps: PoolDeps): Promise<ProviderPool> {
  const credentials: Credential[] = [];
  const externals: ExternalCredential[] = [];
  for (const credential of section.credentials) {
    if (credential.type === 'default') credentials.push(await createDefaultCredential(module, section, credential, deps));
    else if (credential.type === 'external') {
      const instance = createExternalCredential(module, credential, deps);
      externals.push(instance);
      credentials.push(instance);
    }
  }
  for (const external of externals) external.start();
  return new ProviderPool(module.name, credentials, routesOf(section), {
    logger: deps.logger.child({ component: 'pool', provider: module.name }),
    clock: deps.clock,
    sessions: deps.state.sessions(module.name),
    disabled: deps.disabled,
    maxQueued: deps.maxQueued,
  });
}

/** Registered with the state store (its saved cooldowns and windows come back) and started. */
export async function createDefaultCredential(
  module: AnyProviderModule,
  section: ProviderConfig,
  credential: DefaultCredentialConfig,
  deps: PoolDeps,
): Promise<Credential> {
  const provider = module.name;
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
  deps.state.credentials.register(`${provider}/${credential.tag}`, instance);
  await instance.start();
  return instance;
}

/** Not started: the caller starts it once the pool holds it. */
export function createExternalCredential(
  module: AnyProviderModule,
  credential: ExternalCredentialConfig,
  deps: PoolDeps,
): ExternalCredential {
  return new ExternalCredential({
    tag: credential.tag,
    provider: module.name,
    link: deps.mesh.link(credential.peer, module.name as ProviderName),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'credential', provider: module.name, credential: credential.tag, peer: credential.peer }),
    parseHeaders: (headers, nowSeconds) => module.parseRateLimitHeaders(headers, nowSeconds),
    maxPlanWeight: deps.peers.find((peer) => peer.name === credential.peer)?.max_plan_weight ?? DEFAULT_MAX_PLAN_WEIGHT,
    // A peer's tunnel carries at most this many streams; more would fail to open.
    maxConcurrent: deps.maxStreams,
  });
}

/** The section's balancers; each plain credential is its own one-member route (pool.ts). */
export function routesOf(section: ProviderConfig): RouteDefinition[] {
  return section.credentials.flatMap((credential) =>
    credential.type === 'balancer'
      ? [
          {
            tag: credential.tag,
            members: credential.credentials,
            strategy: credential.strategy,
            rebalanceThreshold: credential.rebalance_threshold,
          },
        ]
      : [],
  );
}

/** CONFIG.md › Caps: cap = limit if set, else 100 − reserve, where reserve 0 means 1 (default cap 99). */
export function capOf(limit: number | undefined, reserve: number | undefined): number {
  if (limit !== undefined) return limit;
  return 100 - Math.max(1, reserve ?? 1);
}
