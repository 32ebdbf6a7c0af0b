/**
 * The state a node keeps between requests that another replica of the same hub would have to
 * see: credential cooldowns and windows, session → credential bindings, and the consumption
 * attributed to each caller. Kept behind this one interface so that several hub replicas sharing
 * one store (Redis) is a new implementation of it, not a rewrite (ARCHITECTURE.md › Shared
 * state). Today's implementation is in-process memory plus files in the state directory
 * (src/node/local-shared-state.ts).
 */
import type { ConsumptionEntry } from './sharing/rolling.ts';
import type { SelectionScope, StickyKey } from './sticky.ts';

/** A credential whose cooldowns and windows survive a restart. */
export interface PersistentCredential {
  persistentState(): unknown;
  restoreState(state: unknown): void;
}

export interface CredentialStateStore {
  /** Restores what was saved under `key` and keeps the credential in later saves. */
  register(key: string, credential: PersistentCredential): void;
  /** A credential a reload removed: what it knew is kept, as for one left out at a restart. */
  unregister(key: string): void;
  /** A credential a reload replaced by one for another file: what it knew goes. */
  forget(key: string): void;
  /** A credential a reload replaced: the successor registered next starts from what this one knew. */
  handOver(key: string, from: PersistentCredential): void;
  /** Something changed; save soon (bursts coalesce). */
  scheduleSave(): void;
  /** A config reload removed the credential: it leaves later saves, what it knew stays saved. */
  unregister(key: string): void;
  /** A reload replaced it by one for another file: what it knew goes. */
  forget(key: string): void;
  /** A reload replaced it by one for the same file: the successor registered next starts from `from`'s state. */
  handOver(key: string, from: PersistentCredential): void;
}

/** Session → credential bindings (src/pool/sticky.ts is the in-process one). */
export interface SessionBindings {
  readonly size: number;
  get(key: StickyKey, nowMs: number): string | undefined;
  peek(key: StickyKey, nowMs: number): string | undefined;
  compareAndSet(key: StickyKey, expectedTag: string | undefined, nextTag: string, nowMs: number): boolean;
  moveAll(route: string, scope: SelectionScope, fromTag: string, toTag: string): number;
}

/** Attributed consumption per caller (`user:alice`, `peer:laptop`) and provider. */
export interface ConsumptionStore {
  append(caller: string, provider: string, entry: ConsumptionEntry): void;
  /** Nano-points within the last 5 h and 7 d at `nowMs`. */
  sums(caller: string, provider: string, nowMs: number): { fiveHour: number; weekly: number };
  /** Oldest first; for the time enough of it ages out. */
  entries(caller: string, provider: string): readonly ConsumptionEntry[];
  /** Every caller and provider with anything recorded. */
  keys(): Array<{ caller: string; provider: string }>;
}

export interface SharedState {
  readonly credentials: CredentialStateStore;
  /** One provider's session bindings. */
  sessions(provider: string): SessionBindings;
  readonly consumption: ConsumptionStore;
  close(): Promise<void>;
}
