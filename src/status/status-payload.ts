/**
 * Shaping and comparing status payloads (PROTOCOL.md › Status JSON, Watch stream). `?watch=true`
 * writes a frame only when the payload changed; `time` changes every second, so it is left out of
 * the comparison, and keys are serialised in sorted order so that two equal payloads built in
 * different orders compare equal.
 */
import type { NodeStatus, ProviderStatus } from './usage.ts';

/** The first seven keys of a provider object: what peers and non-admin users see. */
export function publicProviderStatus(status: ProviderStatus): ProviderStatus {
  return {
    five_hour_utilization: status.five_hour_utilization,
    five_hour_reset: status.five_hour_reset,
    weekly_utilization: status.weekly_utilization,
    weekly_reset: status.weekly_reset,
    plan_weight: status.plan_weight,
    state: status.state,
    retry_at: status.retry_at,
  };
}

/**
 * Canonical text of a payload for change detection: sorted keys, top-level `time` dropped,
 * `undefined` members omitted (as JSON.stringify does).
 */
export function statusKey(payload: NodeStatus | ProviderStatus): string {
  const { time: _time, ...rest } = payload as Partial<NodeStatus> & Record<string, unknown>;
  return stableStringify(rest);
}

/** True when two payloads differ at most in `time`. */
export function statusEquals(a: NodeStatus | ProviderStatus, b: NodeStatus | ProviderStatus): boolean {
  return statusKey(a) === statusKey(b);
}

/** JSON.stringify with object keys in sorted order at every depth; array order is kept. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}
