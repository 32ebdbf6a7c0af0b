/** A credential snapshot for pure status/selection tests: a usable, empty default credential. */
import type { CredentialSnapshot } from '../../src/status/index.ts';

export function credentialSnapshot(overrides: Partial<CredentialSnapshot> = {}): CredentialSnapshot {
  return {
    tag: 'mine',
    type: 'default',
    state: 'usable',
    retryAt: 0,
    hasData: true,
    fiveHour: { utilization: 0, resetAt: 0 },
    weekly: { utilization: 0, resetAt: 0 },
    planWeight: 1,
    cap5h: 100,
    capWeekly: 100,
    peer: null,
    ...overrides,
  };
}
