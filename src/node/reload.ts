/**
 * Applies a new config to a running node in place (CONFIG.md › Reloading): peers first (the
 * credentials made next link to them by name), then new credentials and pools are made and
 * started, then one synchronous swap of the token table, the config the pipeline reads and each
 * pool's credentials. What the swap let go of is closed once the requests in flight at that
 * moment have ended (bounded by `drainMs`), so no request loses its connection to a reload.
 */
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import { PROVIDERS } from '../providers/index.ts';
import { buildPool, type PoolDeps } from './build-pools.ts';
import { diffConfig, effectiveConfig, isEmptyChange, type ConfigChange } from './config-diff.ts';
import type { Config } from './config-schema.ts';
import type { Mesh } from './mesh.ts';
import { preparePool, type PreparedPool } from './pool-reload.ts';
import type { ServerDeps } from './server-deps.ts';
import type { DisabledCredentials, SharedState } from '../pool/index.ts';

export interface ReloadParts {
  deps: Pick<ServerDeps, 'config' | 'tokens' | 'pools' | 'inFlight' | 'alerts'>;
  mesh: Mesh;
  state: SharedState;
  /** The admin's disabled marks: a pool a reload adds honours them too. */
  disabled?: DisabledCredentials;
  clock: Clock;
  logger: Logger;
  /** How long removed credentials and peers' tunnels may finish what they are serving. */
  drainMs: number;
  /** Called for a pool a reload adds (the node saves state on its changes). */
  onPoolAdded(pool: ProviderPool): void;
  /** True when the certificate or key files differ from what the listener was started with. */
  tlsFilesChanged?(): boolean;
}

export class NodeReloader {
  readonly #parts: ReloadParts;
  /** Credentials and pools let go of, closing once their requests are over. */
  readonly #retiring = new Set<{ close(): Promise<void> }>();
  /** One reload at a time: a second waits for the first, then diffs against its result. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(parts: ReloadParts) {
    this.#parts = parts;
  }

  reload(next: Config): Promise<ConfigChange> {
    const run = this.#queue.then(() => this.#apply(next));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #apply(next: Config): Promise<ConfigChange> {
    const { deps, mesh, logger } = this.#parts;
    const running = deps.config;
    const change = diffConfig(running, next);
    // The same paths with new contents (a renewed certificate) are a change the config cannot show.
    if (!change.restartRequired.includes('tls') && this.#parts.tlsFilesChanged?.() === true) change.restartRequired.push('tls');
    if (isEmptyChange(change)) return change;
    const effective = effectiveConfig(running, next, change);
    mesh.updatePeers(effective, change.peers, this.#parts.drainMs);
    const poolDeps: PoolDeps = {
      clock: this.#parts.clock,
      logger,
      state: this.#parts.state,
      mesh,
      peers: effective.peers,
      disabled: this.#parts.disabled,
      maxStreams: running.tunnel.max_streams,
      maxQueued: effective.request_budget.concurrent,
    };
    const prepared: PreparedPool[] = [];
    const added: Array<[keyof typeof deps.pools, ProviderPool]> = [];
    for (const module of PROVIDERS) {
      const before = running[module.name];
      const after = effective[module.name];
      const pool = deps.pools[module.name];
      if (after !== undefined && (before === undefined || pool === undefined))
        added.push([module.name, await buildPool(module, after, poolDeps)]);
      else if (after !== undefined && before !== undefined && pool !== undefined)
        prepared.push(await preparePool(module, pool, before, after, change, poolDeps));
    }

    // The swap: nothing below awaits, so each request sees the old node or the new one.
    deps.tokens.update(effective);
    deps.config = effective;
    const released: Array<{ close(): Promise<void> }> = prepared.flatMap((pool) => pool.commit());
    for (const [name, pool] of added) {
      deps.pools[name] = pool;
      this.#parts.onPoolAdded(pool);
    }
    for (const name of change.providers.removed) {
      const pool = deps.pools[name];
      delete deps.pools[name];
      if (pool !== undefined) released.push(pool);
    }
    if (change.settings.includes('alerts')) deps.alerts?.reconfigure(effective.alerts);
    this.#retire(released);
    return change;
  }

  #retire(items: Array<{ close(): Promise<void> }>): void {
    if (items.length === 0) return;
    for (const item of items) this.#retiring.add(item);
    void this.#parts.deps.inFlight.settled(this.#parts.drainMs).then(() => this.#closeAll(items));
  }

  async #closeAll(items: Array<{ close(): Promise<void> }>): Promise<void> {
    await Promise.all(
      items.map(async (item) => {
        if (!this.#retiring.delete(item)) return;
        await item.close();
      }),
    );
  }

  /** At shutdown, after the node's own drain: close what is still retiring now. */
  async close(): Promise<void> {
    await this.#closeAll([...this.#retiring]);
  }
}
