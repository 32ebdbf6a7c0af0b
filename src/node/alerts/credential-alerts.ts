/**
 * Credential events from the pools' state: one `credential_rate_limited` or
 * `credential_unavailable` when a credential leaves `usable` (or moves between the two), one
 * `credential_recovered` when it is usable again. The pools announce every visible change
 * (including a cooldown ending by the clock, change-tracker.ts); comparing the state with the
 * last one seen makes one event per episode however many changes an episode has.
 *
 * Only the node's own (default) credentials: an external credential's state is another node's
 * pool, which that node alerts about, and its tunnel is `peer_down` here.
 */
import type { ProviderPool } from '../../pool/index.ts';
import type { CredentialState } from '../../status/index.ts';
import type { AlertEvent } from './alert-event.ts';

export interface CredentialView {
  provider: string;
  tag: string;
  type: 'default' | 'external';
  state: CredentialState;
  /** Unix seconds; 0 = unknown. */
  retryAt: number;
  reason: string | undefined;
}

/** The events between the last states seen and now; `states` is updated in place. Pure otherwise. */
export function credentialTransitions(states: Map<string, CredentialState>, views: CredentialView[], nowMs: number): AlertEvent[] {
  const events: AlertEvent[] = [];
  for (const view of views) {
    if (view.type !== 'default') continue;
    const key = `${view.provider}/${view.tag}`;
    // A credential first seen counts as usable before: one that starts out broken is worth hearing about.
    const previous = states.get(key) ?? 'usable';
    states.set(key, view.state);
    if (previous === view.state) continue;
    const subject = { provider: view.provider, credential: view.tag, timeMs: nowMs };
    if (view.state === 'usable') {
      events.push({ event: 'credential_recovered', ...subject, detail: `was ${previous.replace('_', '-')}` });
    } else if (view.state === 'rate_limited') {
      const until = view.retryAt > 0 ? `until ${new Date(view.retryAt * 1000).toISOString()}` : 'reset time unknown';
      events.push({
        event: 'credential_rate_limited',
        ...subject,
        detail: view.reason === undefined ? until : `${until} (${view.reason})`,
      });
    } else {
      events.push({ event: 'credential_unavailable', ...subject, detail: view.reason ?? 'no reason given' });
    }
  }
  return events;
}

export function credentialViews(pool: ProviderPool, nowMs: number): CredentialView[] {
  const reasons = pool.reasons(nowMs);
  return pool.allSnapshots(nowMs).map((snapshot) => ({
    provider: pool.provider,
    tag: snapshot.tag,
    type: snapshot.type,
    state: snapshot.state,
    retryAt: snapshot.retryAt,
    reason: reasons.get(snapshot.tag),
  }));
}
