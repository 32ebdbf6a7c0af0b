/**
 * Admission, the same for every transport: a known caller, no loop between nodes, a share of
 * this provider on this node, and the caller within its `limits` (caller-limits.ts). What passes
 * gets the pool and the route it may draw on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { QuotaMeshError } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import type { AnyProviderModule, ProviderName } from '../providers/index.ts';
import { accessFor, type Access } from './access.ts';
import { callerRefusal } from './caller-limits.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';
import type { ServerDeps } from './server-deps.ts';
import { MAX_HOPS, parseVia, VIA_HEADER } from './via.ts';

export interface Admitted {
  caller: Caller;
  pool: ProviderPool;
  access: Access;
  /** Nodes this request already passed through (x-quotamesh-via), oldest first. */
  via: string[];
}

export function admit(
  deps: Pick<ServerDeps, 'config' | 'pools'> & Partial<Pick<ServerDeps, 'consumption' | 'clock' | 'alerts'>>,
  provider: AnyProviderModule,
  caller: Caller | undefined,
  headers: IncomingHttpHeaders,
): Admitted | QuotaMeshError {
  if (caller === undefined) return errors.unauthenticated();
  const via = parseVia(headers[VIA_HEADER]);
  if (via.includes(deps.config.name) || via.length > MAX_HOPS) return errors.loop(via);
  const name = provider.name as ProviderName;
  const pool = deps.pools[name];
  const access = accessFor(deps.config, caller, name);
  if (pool === undefined || access === undefined) return errors.forbidden(`${provider.label} is not shared with you on this node`);
  // A peer's requests come through its tunnel as the peer: its limits hold it here, at the hub.
  const overLimit = deps.consumption && deps.clock && callerRefusal(deps.consumption, caller, name, deps.clock.now());
  if (overLimit) {
    // The operator hears of a user or peer at its limit (once per episode: alerts.ts).
    if (caller.kind !== 'admin')
      deps.alerts?.limitReached({ kind: caller.kind, name: caller.name, limit: 'limits', provider: name, detail: overLimit.message });
    return overLimit;
  }
  return { caller, pool, access, via };
}
