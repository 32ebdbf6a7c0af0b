/**
 * What `/v1/status` shows a caller (PROTOCOL.md › Status JSON): each provider aggregated over the caller's
 * own route (a peer: its share, without our external credentials unless allowed), with
 * per-credential rows for the admin only.
 */
import { toUnixSeconds } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import {
  aggregateProvider,
  credentialRows,
  publicProviderStatus,
  type NodeStatus,
  type ProviderStatus,
  type StatusPayload,
} from '../status/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/index.ts';
import { accessFor } from './access.ts';
import type { Caller } from './auth.ts';
import type { Config } from './config-schema.ts';
import type { ConsumptionStore } from '../pool/index.ts';
import { callerUsage, consumerRows } from './caller-limits.ts';

export function statusView(
  config: Config,
  pools: Partial<Record<ProviderName, ProviderPool>>,
  caller: Caller,
  only: string | undefined,
  sessionId?: string,
  consumption?: ConsumptionStore,
): (nowMs: number) => StatusPayload {
  const providerStatus = (provider: string, nowMs: number): ProviderStatus | undefined => {
    const status = aggregateStatus(provider, nowMs);
    const name = PROVIDER_NAMES.find((known) => known === provider);
    const pool = name === undefined ? undefined : pools[name];
    const access = name === undefined ? undefined : accessFor(config, caller, name);
    if (status === undefined || sessionId === undefined || pool === undefined || access === undefined) return status;
    // The caller's own route and scope: the same binding its requests with this session id use.
    const credential = pool.sessionCredential(access.routeTag, sessionId, access.allowExternal, nowMs);
    const peer = credential === undefined ? null : credential.snapshot(nowMs).peer;
    return { ...status, session: { id: sessionId, credential: credential?.tag ?? null, peer } };
  };
  const aggregateStatus = (provider: string, nowMs: number): ProviderStatus | undefined => {
    const name = PROVIDER_NAMES.find((known) => known === provider);
    const pool = name === undefined ? undefined : pools[name];
    const access = name === undefined ? undefined : accessFor(config, caller, name);
    if (pool === undefined || access === undefined) return undefined;
    const nowSeconds = toUnixSeconds(nowMs);
    const aggregate = aggregateProvider(pool.snapshots(access.routeTag, access.allowExternal, nowMs), nowSeconds);
    // The per-provider forms (`/ccm/v1/status`, `?provider=`) keep the seven keys peers and
    // sing-box parse; the full `/v1/status` adds the caller's own consumption (issue 15).
    if (only !== undefined) return publicProviderStatus(aggregate);
    if (caller.kind !== 'admin')
      return consumption === undefined ? aggregate : { ...aggregate, ...callerUsage(consumption, caller, provider, nowMs) };
    // The admin also hears why a credential is out (a missing file, a refused refresh): without it
    // an `unavailable` row leaves the owner guessing. Reasons name local paths, so never for users or peers.
    const reasons = pool.reasons(nowMs);
    const rows = credentialRows(pool.allSnapshots(nowMs), nowSeconds).map((row) => {
      const reason = reasons.get(row.tag);
      return reason === undefined ? row : { ...row, reason };
    });
    const consumers = consumption === undefined ? undefined : consumerRows(consumption, config, provider, nowMs);
    return { ...aggregate, credentials: rows, ...(consumers === undefined ? {} : { consumers }) };
  };
  if (only !== undefined) {
    return (nowMs) => providerStatus(only, nowMs) ?? unavailableProvider();
  }
  return (nowMs) => {
    const status: NodeStatus = { node: config.name, time: toUnixSeconds(nowMs), providers: {} };
    for (const provider of PROVIDER_NAMES) {
      const value = providerStatus(provider, nowMs);
      if (value !== undefined) status.providers[provider] = value;
    }
    return status;
  };
}

/** A provider this caller may not use reads as empty, never as somebody else's capacity. */
function unavailableProvider(): ProviderStatus {
  return {
    five_hour_utilization: 100,
    five_hour_reset: 0,
    weekly_utilization: 100,
    weekly_reset: 0,
    plan_weight: 0,
    state: 'unavailable',
    retry_at: 0,
  };
}
