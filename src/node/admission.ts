/**
 * Admission, the same for every transport: a known caller, no loop between nodes, and a share
 * of this provider on this node. What passes gets the pool and the route it may draw on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { QuotaMeshError } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import type { AnyProviderModule, ProviderName } from '../providers/index.ts';
import { accessFor, type Access } from './access.ts';
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
  deps: Pick<ServerDeps, 'config' | 'pools'>,
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
  return { caller, pool, access, via };
}
