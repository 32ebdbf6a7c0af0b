/**
 * Session → credential bindings (PROTOCOL.md › HTTP surface, sticky sessions). A session stays on
 * one credential so its prompt cache stays warm. Bindings are scoped per route and per selection
 * scope: a request that may not use external credentials must not inherit a binding made by one
 * that may.
 *
 * Memory is bounded twice: a binding idle for the TTL (24 h) is dropped, and past `maxEntries`
 * the least recently used one goes. Both are cheap because the Map is kept in last-use order
 * (touching a binding re-inserts it), so expired and evicted entries are always at the front.
 */
export type SelectionScope = 'all' | 'non_external';

export interface StickyKey {
  route: string;
  scope: SelectionScope;
  sessionId: string;
}

export interface StickyOptions {
  /** Idle time after which a binding is forgotten; default 24 h. */
  ttlMs?: number;
  /** Most bindings kept at once; default 100 000. */
  maxEntries?: number;
}

interface Binding {
  group: string;
  credentialTag: string;
  lastUsedMs: number;
}

export const STICKY_TTL_MS = 24 * 3600 * 1000;
export const STICKY_MAX_ENTRIES = 100_000;

export class StickySessions {
  readonly #bindings = new Map<string, Binding>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: StickyOptions = {}) {
    this.#ttlMs = options.ttlMs ?? STICKY_TTL_MS;
    this.#maxEntries = Math.max(1, options.maxEntries ?? STICKY_MAX_ENTRIES);
  }

  get size(): number {
    return this.#bindings.size;
  }

  /** The credential tag the session is bound to, refreshing its TTL; undefined if none. */
  get(key: StickyKey, nowMs: number): string | undefined {
    this.#sweep(nowMs);
    const id = bindingId(key);
    const binding = this.#bindings.get(id);
    if (binding === undefined) return undefined;
    this.#bindings.delete(id);
    this.#bindings.set(id, { ...binding, lastUsedMs: nowMs });
    return binding.credentialTag;
  }

  /**
   * The credential tag the session is bound to, without counting as use: a status read must not
   * keep an idle binding alive or reorder eviction.
   */
  peek(key: StickyKey, nowMs: number): string | undefined {
    const binding = this.#bindings.get(bindingId(key));
    if (binding === undefined || nowMs - binding.lastUsedMs >= this.#ttlMs) return undefined;
    return binding.credentialTag;
  }

  /**
   * Binds the session to `nextTag` only if its binding is still `expectedTag` (undefined = not
   * bound). False means another request re-bound it first and the caller should re-read:
   * sing-box bound one new session to two credentials without this (fix `f3c30220`).
   */
  compareAndSet(key: StickyKey, expectedTag: string | undefined, nextTag: string, nowMs: number): boolean {
    this.#sweep(nowMs);
    const id = bindingId(key);
    if (this.#bindings.get(id)?.credentialTag !== expectedTag) return false;
    this.#bindings.delete(id);
    this.#bindings.set(id, { group: groupId(key.route, key.scope), credentialTag: nextTag, lastUsedMs: nowMs });
    while (this.#bindings.size > this.#maxEntries) {
      const oldest = this.#bindings.keys().next();
      if (oldest.done === true) break;
      this.#bindings.delete(oldest.value);
    }
    return true;
  }

  /**
   * Re-binds every session of one route and scope from `fromTag` to `toTag` (rebalancing moves a
   * hot credential's sessions together). A full scan, but it only runs when a rebalance fires.
   * Recency is left alone: being moved is not being used.
   */
  moveAll(route: string, scope: SelectionScope, fromTag: string, toTag: string): number {
    const group = groupId(route, scope);
    let moved = 0;
    for (const binding of this.#bindings.values()) {
      if (binding.group === group && binding.credentialTag === fromTag) {
        binding.credentialTag = toTag;
        moved += 1;
      }
    }
    return moved;
  }

  clear(): void {
    this.#bindings.clear();
  }

  #sweep(nowMs: number): void {
    for (const [id, binding] of this.#bindings) {
      if (nowMs - binding.lastUsedMs < this.#ttlMs) return;
      this.#bindings.delete(id);
    }
  }
}

// Route tags cannot contain a newline (config tag regex), so these joins are unambiguous; the
// session id comes last and may contain anything.
function groupId(route: string, scope: SelectionScope): string {
  return `${route}\n${scope}`;
}

function bindingId(key: StickyKey): string {
  return `${groupId(key.route, key.scope)}\n${key.sessionId}`;
}
