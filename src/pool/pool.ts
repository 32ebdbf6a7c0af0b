/**
 * The credentials of one provider and the routes over them. A route is either one credential or
 * a balancer's list; choosing within it is the strategy's job (strategies.ts), keeping a session
 * on its choice is sticky.ts's, and moving sessions off a hot credential is rebalance.ts's.
 */
import type { Logger } from 'pino';
import type { CredentialSnapshot, Provider } from '../status/index.ts';
import { ChangeSignal } from './change-signal.ts';
import type { Credential, CredentialStats } from './credential.ts';
import type { DisabledCredentials, DisabledMark } from './disabled-credentials.ts';
import { rebalanceTarget } from './rebalance.ts';
import { StickySessions, type StickyKey, type StickyOptions } from './sticky.ts';
import type { SessionBindings } from './shared-state.ts';
import { pick, type CandidateView, type Strategy } from './strategies.ts';
import { KeyedSlots, systemClock, type Clock } from '../lib/index.ts';

export type { Strategy } from './strategies.ts';

export interface RouteDefinition {
  tag: string;
  members: string[];
  strategy: Strategy;
  /** Weekly points (divided by plan weight); 0 = sessions never move while usable. */
  rebalanceThreshold: number;
}

export interface Selection {
  sessionId: string | undefined;
  /** External credentials only for callers allowed multi-hop use (CONFIG.md › allow_external_usage). */
  allowExternal: boolean;
  /** Credentials already tried for this request (failover). */
  exclude: ReadonlySet<Credential>;
  /** The request's model: a credential that refuses its family is skipped. */
  model?: string | undefined;
  /** Pass over credentials at their `max_concurrent` (requests that hold a slot while in flight). */
  respectCaps?: boolean;
}

export interface ProviderPoolOptions {
  /** Receives one line per session assigned, moved or rebalanced. */
  logger?: Logger;
  /** Uniform in [0, 1) for the `random` strategy; default Math.random. */
  random?: () => number;
  sticky?: StickyOptions;
  /** Where session bindings live (SharedState); default an in-process StickySessions. */
  sessions?: SessionBindings;
  /** For the state-change log's notion of now; default the system clock. */
  clock?: Clock;
  /** Credentials an operator disabled (shared by every pool of the node); none when absent. */
  disabled?: DisabledCredentials;
  /** The most requests waiting for a credential slot at once (default 1024). */
  maxQueued?: number;
}

/** Requests waiting when every usable credential of their route is at its cap; bounded. */
export const DEFAULT_MAX_QUEUED = 1024;

export class ProviderPool {
  readonly provider: Provider;
  #credentials = new Map<string, Credential>();
  #routes = new Map<string, RouteDefinition>();
  readonly #changes = new ChangeSignal();
  readonly #unsubscribes = new Map<Credential, () => void>();
  /** Last logged state per credential, for one line per change. */
  readonly #lastStates = new Map<Credential, string>();
  readonly #sessions: SessionBindings;
  /** Set when the bindings are this pool's alone; shared ones outlive it (another replica's too). */
  readonly #ownSessions: StickySessions | undefined;
  /** Round-robin position per route, advanced once per pick (not per sticky hit). */
  readonly #counters = new Map<string, number>();
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #clock: Clock;
  readonly #disabled: DisabledCredentials | undefined;
  readonly #unsubscribeDisabled: (() => void) | undefined;
  /**
   * Requests in flight per credential, against each one's `maxConcurrent`, and the bounded line
   * of requests waiting for one of them (failover.ts takes and gives back the slots).
   */
  readonly slots: KeyedSlots<Credential>;

  constructor(provider: Provider, credentials: Credential[], routes: RouteDefinition[], options: ProviderPoolOptions = {}) {
    this.provider = provider;
    this.#ownSessions = options.sessions === undefined ? new StickySessions(options.sticky) : undefined;
    this.#sessions = options.sessions ?? this.#ownSessions ?? new StickySessions();
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#disabled = options.disabled;
    this.#unsubscribeDisabled = this.#disabled?.onChange(() => this.#changes.emit());
    this.slots = new KeyedSlots<Credential>({
      capOf: (credential) => credential.maxConcurrent ?? Infinity,
      maxWaiting: options.maxQueued ?? DEFAULT_MAX_QUEUED,
    });
    this.replace(credentials, routes);
  }

  /**
   * A config reload (CONFIG.md › Reloading): the pool now holds exactly `credentials` and
   * `routes`. An instance it already held keeps its place, its state and its sticky sessions;
   * sessions bound to a tag that went away move on their next request. Returns the instances
   * no longer held, for the caller to close once their in-flight requests no longer matter.
   */
  replace(credentials: Credential[], routes: RouteDefinition[]): Credential[] {
    const removed = [...this.#credentials.values()].filter((credential) => !credentials.includes(credential));
    for (const credential of removed) {
      this.#unsubscribes.get(credential)?.();
      this.#unsubscribes.delete(credential);
      this.#lastStates.delete(credential);
    }
    this.#credentials = new Map(credentials.map((credential) => [credential.tag, credential]));
    this.#routes = new Map(routes.map((route) => [route.tag, route]));
    for (const credential of credentials) {
      if (!this.#routes.has(credential.tag)) {
        this.#routes.set(credential.tag, { tag: credential.tag, members: [credential.tag], strategy: 'fallback', rebalanceThreshold: 0 });
      }
      if (this.#unsubscribes.has(credential)) continue;
      this.#unsubscribes.set(
        credential,
        credential.onChange(() => {
          this.#logStateChange(credential);
          this.#changes.emit();
        }),
      );
    }
    // Status watchers see the new membership at once.
    this.#changes.emit();
    return removed;
  }

  /** The credential held under `tag` (a reload keeps untouched instances by it). */
  credential(tag: string): Credential | undefined {
    return this.#credentials.get(tag);
  }

  hasRoute(tag: string): boolean {
    return this.#routes.has(tag);
  }

  /** The credentials a caller may use on a route. */
  members(routeTag: string, allowExternal: boolean): Credential[] {
    const route = this.#routes.get(routeTag);
    if (route === undefined) return [];
    return route.members
      .map((tag) => this.#credentials.get(tag))
      .filter((credential): credential is Credential => credential !== undefined && (allowExternal || credential.type !== 'external'));
  }

  /** What a route offers: a disabled credential reads `unavailable`, so it adds no capacity to the aggregate. */
  snapshots(routeTag: string, allowExternal: boolean, nowMs: number): CredentialSnapshot[] {
    return this.members(routeTag, allowExternal).map((credential) => {
      const snapshot = credential.snapshot(nowMs);
      return this.isDisabled(credential.tag) ? { ...snapshot, state: 'unavailable', retryAt: 0 } : snapshot;
    });
  }

  /** Who took this credential out and when; undefined while it is in (docs/ADMIN.md). */
  disabledMark(tag: string): DisabledMark | undefined {
    return this.#disabled?.get(this.provider, tag);
  }

  isDisabled(tag: string): boolean {
    return this.disabledMark(tag) !== undefined;
  }

  /** Every credential of the provider, for the admin's per-credential rows. */
  allSnapshots(nowMs: number): CredentialSnapshot[] {
    return [...this.#credentials.values()].map((credential) => credential.snapshot(nowMs));
  }

  /** Tag → why that credential cannot take a request now, for the admin's rows only. */
  reasons(nowMs: number): Map<string, string> {
    const reasons = new Map<string, string>();
    for (const credential of this.#credentials.values()) {
      const reason = credential.reason?.(nowMs);
      if (reason !== undefined) reasons.set(credential.tag, reason);
    }
    return reasons;
  }

  /** Refresh and poll counts of the credentials that keep them, for /metrics. */
  credentialStats(): Array<{ tag: string; stats: CredentialStats }> {
    return [...this.#credentials.values()].flatMap((credential) =>
      credential.stats ? [{ tag: credential.tag, stats: credential.stats() }] : [],
    );
  }

  /** Requests in flight per credential against its cap, and how many wait for one (for /metrics). */
  slotStats(): { credentials: Array<{ tag: string; inFlight: number; isAtCap: boolean }>; waiting: number } {
    const credentials = [...this.#credentials.values()].map((credential) => ({
      tag: credential.tag,
      inFlight: this.slots.inFlight(credential),
      isAtCap: this.slots.isAtCap(credential),
    }));
    return { credentials, waiting: this.slots.waiting() };
  }

  /**
   * The credential for one attempt of one request. Synchronous from reading a session's binding
   * to writing it, so two requests of one new session cannot interleave and bind to two
   * credentials; the compare-and-set below states that contract rather than relying on it.
   */
  select(routeTag: string, selection: Selection, nowMs: number): Credential | undefined {
    const route = this.#routes.get(routeTag);
    if (route === undefined) return undefined;
    const members = this.members(routeTag, selection.allowExternal);
    const views = members.map((credential) => candidateView(credential, selection, this.isDisabled(credential.tag), nowMs, this.slots));
    // fallback re-evaluates list order on every request (CONFIG.md › Strategies), so it never binds.
    if (selection.sessionId === undefined || route.strategy === 'fallback') return pickMember(members, this.#pick(route, views, nowMs));

    const key: StickyKey = { route: route.tag, scope: selection.allowExternal ? 'all' : 'non_external', sessionId: selection.sessionId };
    const boundTag = this.#sessions.get(key, nowMs);
    const boundIndex = boundTag === undefined ? -1 : members.findIndex((credential) => credential.tag === boundTag);
    const bound = boundIndex === -1 ? undefined : views[boundIndex];
    // A session's credential that is only full lends this request to another and keeps the
    // binding: moving the session would lose its prompt cache for a moment's load.
    if (bound?.isUsable === true && bound.isAtCap === true) return pickMember(members, this.#pick(route, views, nowMs));
    if (bound?.isUsable === true) return this.#stickyHit(route, key, members, views, boundIndex, nowMs);
    const picked = pickMember(members, this.#pick(route, views, nowMs));
    // Nothing usable: keep the binding, the credential may be back for the next request.
    if (picked === undefined) return undefined;
    // Cannot lose while select stays synchronous. Should it ever become async and lose, this
    // request is still served and the session keeps the binding that won.
    if (this.#sessions.compareAndSet(key, boundTag, picked.tag, nowMs)) {
      this.#logger?.info(
        { route: route.tag, session: key.sessionId, credential: picked.tag, ...(boundTag === undefined ? {} : { from: boundTag }) },
        boundTag === undefined ? 'session assigned' : 'session moved: its credential is unusable or failed this request',
      );
    }
    return picked;
  }

  /**
   * The credential a session's next request would start on, read without side effects (for
   * `/v1/status?session=`): its binding while that credential is usable; on a `fallback` route,
   * which never binds, the first usable member; otherwise undefined (the next request decides).
   */
  sessionCredential(routeTag: string, sessionId: string, allowExternal: boolean, nowMs: number): Credential | undefined {
    const route = this.#routes.get(routeTag);
    if (route === undefined) return undefined;
    const members = this.members(routeTag, allowExternal);
    const isUsable = (credential: Credential): boolean => credential.isUsable(nowMs) && !this.isDisabled(credential.tag);
    if (route.strategy === 'fallback') return members.find(isUsable);
    const boundTag = this.#sessions.peek({ route: route.tag, scope: allowExternal ? 'all' : 'non_external', sessionId }, nowMs);
    return members.find((credential) => credential.tag === boundTag && isUsable(credential));
  }

  /**
   * The credentials to try for one request, in order, as undici's BalancedPool hands out
   * upstreams: each step is a fresh pick among those not yet handed out (so a session moves off a
   * credential that just failed it), and the caller simply takes the next one on failure.
   */
  *candidates(
    routeTag: string,
    selection: Omit<Selection, 'exclude'>,
    now: () => number,
    tried = new Set<Credential>(),
  ): Generator<Credential, void, undefined> {
    let model = selection.model;
    for (;;) {
      const credential = this.select(routeTag, { ...selection, model, exclude: tried }, now());
      if (credential === undefined && model !== undefined) {
        // Every account left refuses this model: ask one anyway, so the client hears the
        // vendor's own refusal and its reset rather than a pool that looks healthy but says no.
        model = undefined;
        continue;
      }
      if (credential === undefined) return;
      tried.add(credential);
      yield credential;
    }
  }

  /**
   * The credentials a request could still try if they had room: usable, not tried yet, at their
   * cap. Empty when the pool is spent rather than busy.
   */
  busy(
    routeTag: string,
    selection: Omit<Selection, 'exclude' | 'respectCaps'>,
    tried: ReadonlySet<Credential>,
    nowMs: number,
  ): Credential[] {
    return this.members(routeTag, selection.allowExternal).filter(
      (credential) =>
        !tried.has(credential) &&
        this.slots.isAtCap(credential) &&
        credential.isUsable(nowMs) &&
        !(selection.model !== undefined && credential.isModelBlocked?.(selection.model, nowMs) === true),
    );
  }

  #stickyHit(
    route: RouteDefinition,
    key: StickyKey,
    members: Credential[],
    views: CandidateView[],
    boundIndex: number,
    nowMs: number,
  ): Credential | undefined {
    const current = members[boundIndex];
    if (route.strategy !== 'least-used' || route.rebalanceThreshold <= 0 || current === undefined) return current;
    const decision = rebalanceTarget(views, boundIndex, route.rebalanceThreshold, nowMs);
    const target = decision === undefined ? undefined : members[decision.targetIndex];
    if (decision === undefined || target === undefined) return current;
    const moved = this.#sessions.moveAll(route.tag, key.scope, current.tag, target.tag);
    this.#logger?.info(
      {
        route: route.tag,
        scope: key.scope,
        from: current.tag,
        credential: target.tag,
        sessions: moved,
        deltaPoints: round2(decision.deltaPoints),
        thresholdPoints: round2(decision.effectivePoints),
      },
      'rebalancing sessions to a less used credential',
    );
    return target;
  }

  #pick(route: RouteDefinition, views: CandidateView[], nowMs: number): number | undefined {
    const counter = this.#counters.get(route.tag) ?? 0;
    if (route.strategy === 'round-robin') this.#counters.set(route.tag, counter + 1);
    return pick(route.strategy, views, { nowMs, random: this.#random, counter });
  }

  /** One log line when a credential's state changes (usable, rate_limited, unavailable). */
  #logStateChange(credential: Credential): void {
    const lastStates = this.#lastStates;
    const snapshot = credential.snapshot(this.#clock.now());
    const previous = lastStates.get(credential);
    if (previous === snapshot.state) return;
    lastStates.set(credential, snapshot.state);
    if (previous === undefined && snapshot.state === 'usable') return;
    const retryAt = snapshot.retryAt > 0 ? new Date(snapshot.retryAt * 1000).toISOString() : undefined;
    this.#logger?.info({ credential: credential.tag, from: previous ?? 'new', to: snapshot.state, retryAt }, 'credential state changed');
  }

  onChange(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribes.values()) unsubscribe();
    this.#unsubscribes.clear();
    this.#unsubscribeDisabled?.();
    this.#changes.clear();
    this.#ownSessions?.clear();
    await Promise.all([...this.#credentials.values()].map((credential) => credential.close()));
  }
}

function candidateView(
  credential: Credential,
  selection: Selection,
  isDisabled: boolean,
  nowMs: number,
  slots: KeyedSlots<Credential>,
): CandidateView {
  const snapshot = credential.snapshot(nowMs);
  const { exclude, model } = selection;
  const isAtCap = selection.respectCaps === true && slots.isAtCap(credential);
  const isModelBlocked = model !== undefined && credential.isModelBlocked?.(model, nowMs) === true;
  return {
    tag: credential.tag,
    type: credential.type,
    planWeight: snapshot.planWeight,
    isUsable: !exclude.has(credential) && !isDisabled && credential.isUsable(nowMs) && !isModelBlocked,
    weekly: snapshot.weekly,
    capWeekly: snapshot.capWeekly,
    ...(isAtCap ? { isAtCap } : {}),
  };
}

function pickMember(members: Credential[], index: number | undefined): Credential | undefined {
  return index === undefined ? undefined : members[index];
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
