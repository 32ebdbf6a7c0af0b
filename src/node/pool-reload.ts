/**
 * One provider's part of a config reload (CONFIG.md › Reloading). A credential whose entry did
 * not change keeps its instance: its cooldowns, windows, token and sticky sessions. One that
 * changed is made anew (a default credential reading the same file starts from what its
 * predecessor knew), as is every default credential when the section's own keys (`api_url`, …)
 * changed and every external credential of a peer whose entry changed. Everything new is made
 * and started before the pool changes, so the swap itself is one synchronous step.
 */
import type { Credential, ExternalCredential, ProviderPool } from '../pool/index.ts';
import type { AnyProviderModule, ProviderName } from '../providers/index.ts';
import { createDefaultCredential, createExternalCredential, routesOf, type PoolDeps } from './build-pools.ts';
import type { ConfigChange } from './config-diff.ts';
import type { ProviderConfig } from './config-schema.ts';
import type { PersistentCredential } from '../pool/index.ts';

export interface PreparedPool {
  /** Swaps the pool's credentials and routes; returns the instances it let go of (to close later). */
  commit(): Credential[];
}

export async function preparePool(
  module: AnyProviderModule,
  pool: ProviderPool,
  before: ProviderConfig,
  after: ProviderConfig,
  change: ConfigChange,
  deps: PoolDeps,
): Promise<PreparedPool> {
  const provider = module.name as ProviderName;
  const changedTags = new Set((change.credentials[provider]?.changed ?? []).map((entry) => entry.key));
  const changedPeers = new Set(change.peers.changed.map((entry) => entry.key));
  const sectionChanged = (change.sections[provider] ?? []).some((key) => key !== 'route');
  const previous = new Map(before.credentials.map((credential) => [credential.tag, credential]));
  const next: Credential[] = [];
  const externals: ExternalCredential[] = [];
  for (const credential of after.credentials) {
    if (credential.type === 'balancer') continue;
    const current = pool.credential(credential.tag);
    const isStale = changedTags.has(credential.tag) || (credential.type === 'default' ? sectionChanged : changedPeers.has(credential.peer));
    if (current !== undefined && !isStale) {
      next.push(current);
    } else if (credential.type === 'default') {
      const key = `${module.name}/${credential.tag}`;
      const old = previous.get(credential.tag);
      // Same file, same account: keep its cooldowns. Another file may be another account.
      if (current !== undefined && old?.type === 'default' && old.path === credential.path && isPersistent(current))
        deps.state.credentials.handOver(key, current);
      else if (current !== undefined) deps.state.credentials.forget(key);
      next.push(await createDefaultCredential(module, after, credential, deps));
    } else {
      const instance = createExternalCredential(module, credential, deps);
      externals.push(instance);
      next.push(instance);
    }
  }
  return {
    commit: () => {
      const released = pool.replace(next, routesOf(after));
      for (const external of externals) external.start();
      for (const credential of released) {
        if (credential.type === 'default' && !next.some((kept) => kept.tag === credential.tag)) {
          deps.state.credentials.unregister(`${module.name}/${credential.tag}`);
        }
      }
      return released;
    },
  };
}

function isPersistent(credential: Credential): credential is Credential & PersistentCredential {
  return 'persistentState' in credential && typeof credential.persistentState === 'function';
}
