/**
 * The credentials of one provider and the routes over them. A route is either one credential or
 * a balancer's list; choosing within it is the strategy's job (strategies.ts).
 */
import type { CredentialSnapshot, Provider } from '../status/index.ts';
import { ChangeSignal } from './change-signal.ts';
import type { Credential } from './credential.ts';

export type Strategy = 'least-used' | 'round-robin' | 'random' | 'fallback';

export interface RouteDefinition {
  tag: string;
  members: string[];
  strategy: Strategy;
  rebalanceThreshold: number;
}

export interface Selection {
  sessionId: string | undefined;
  /** External credentials are reachable only for callers allowed multi-hop use (SPEC §2). */
  allowExternal: boolean;
  /** Credentials already tried for this request (failover). */
  exclude: ReadonlySet<Credential>;
}

export class ProviderPool {
  readonly provider: Provider;
  readonly #credentials: Map<string, Credential>;
  readonly #routes: Map<string, RouteDefinition>;
  readonly #changes = new ChangeSignal();
  readonly #unsubscribes: Array<() => void>;

  constructor(provider: Provider, credentials: Credential[], routes: RouteDefinition[]) {
    this.provider = provider;
    this.#credentials = new Map(credentials.map((credential) => [credential.tag, credential]));
    this.#routes = new Map(routes.map((route) => [route.tag, route]));
    for (const credential of credentials) {
      if (!this.#routes.has(credential.tag)) {
        this.#routes.set(credential.tag, { tag: credential.tag, members: [credential.tag], strategy: 'fallback', rebalanceThreshold: 0 });
      }
    }
    this.#unsubscribes = credentials.map((credential) => credential.onChange(() => this.#changes.emit()));
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

  snapshots(routeTag: string, allowExternal: boolean, nowMs: number): CredentialSnapshot[] {
    return this.members(routeTag, allowExternal).map((credential) => credential.snapshot(nowMs));
  }

  /** Every credential of the provider, for the admin's per-credential rows. */
  allSnapshots(nowMs: number): CredentialSnapshot[] {
    return [...this.#credentials.values()].map((credential) => credential.snapshot(nowMs));
  }

  select(routeTag: string, selection: Selection, nowMs: number): Credential | undefined {
    return this.members(routeTag, selection.allowExternal).find(
      (credential) => !selection.exclude.has(credential) && credential.isUsable(nowMs),
    );
  }

  onChange(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#changes.clear();
    await Promise.all([...this.#credentials.values()].map((credential) => credential.close()));
  }
}
