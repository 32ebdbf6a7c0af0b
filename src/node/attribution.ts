/**
 * Issue 15's attribution: what each caller's requests cost the pool, in points of its route's
 * aggregate window (PROTOCOL.md › Fair sharing).
 *
 * - At a response's head (attempt stage, right after the credential read its rate-limit
 *   headers) the rise from the credential's level to that response's own reading is claimed for
 *   the request (src/pool/sharing/window-claims.ts; late heads take their stretch back).
 * - A rise the node learns otherwise (a usage poll, a peer's status stream, a WebSocket turn's
 *   rate-limit event) is split among the requests that finished on that credential since the
 *   previous observation, in proportion to their tokens (weightedTokens).
 * - When the request is over (record stage) its claim becomes points (rise × plan weight ÷ the
 *   route's weight) appended to the consumption store, and the ledger line shows them.
 */
import type { Logger } from 'pino';
import { toUnixSeconds } from '../lib/index.ts';
import {
  risePoints,
  splitByTokens,
  toNano,
  weightedTokens,
  WindowClaims,
  type ConsumptionStore,
  type Credential,
  type ProviderPool,
  type RiseClaim,
  type TokenCounts,
} from '../pool/index.ts';
import { aggregateProvider, type CredentialSnapshot } from '../status/index.ts';
import type { Access } from './access.ts';
import type { Caller } from './auth.ts';

/** Callers remembered per credential between two observations (bounded by the config's callers). */
const MAX_FINISHED_CALLERS = 4096;

interface CredentialTrack {
  fiveHour: WindowClaims;
  weekly: WindowClaims;
  /** Caller key → weighted tokens of its requests finished since the previous observation. */
  finished: Map<string, number>;
}

export interface AttributedPoints {
  points5h: number;
  pointsWeekly: number;
}

export interface SettleRequest {
  caller: Caller;
  provider: string;
  pool: ProviderPool;
  access: Access;
  credential: Credential;
  claim: RiseClaim | undefined;
  usage: TokenCounts | undefined;
  cacheReadWeight: number;
}

export function callerKey(caller: Caller): string {
  return `${caller.kind}:${caller.name}`;
}

export class Attribution {
  readonly #store: ConsumptionStore;
  readonly #tracks = new Map<string, CredentialTrack>();
  readonly #logger: Logger;

  constructor(store: ConsumptionStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Before the credential reads a response's headers: what it knew already is no one's rise. */
  before(provider: string, credential: Credential, nowMs: number): CredentialSnapshot {
    const snapshot = credential.snapshot(nowMs);
    const track = this.#track(provider, credential.tag);
    if (snapshot.hasData) {
      track.fiveHour.seed(snapshot.fiveHour, toUnixSeconds(nowMs));
      track.weekly.seed(snapshot.weekly, toUnixSeconds(nowMs));
    }
    return snapshot;
  }

  /** After it read them: the rise this response shows is this request's. */
  claim(provider: string, credential: Credential, nowMs: number): RiseClaim {
    const claim: RiseClaim = { fiveHour: 0, weekly: 0, isOpen: true };
    const snapshot = credential.snapshot(nowMs);
    if (!snapshot.hasData) return claim;
    const track = this.#track(provider, credential.tag);
    const nowSeconds = toUnixSeconds(nowMs);
    track.fiveHour.claim(claim, snapshot.fiveHour, nowSeconds);
    track.weekly.claim(claim, snapshot.weekly, nowSeconds);
    // This head is an observation: requests finished before it were paid for by the rises so far.
    track.finished.clear();
    return claim;
  }

  /** The request is over: its claim and its share of any rise seen otherwise, as points. */
  settle(request: SettleRequest, nowMs: number): AttributedPoints {
    const { provider, credential, claim } = request;
    const track = this.#track(provider, credential.tag);
    const snapshot = credential.snapshot(nowMs);
    const routeWeight = this.#routeWeight(request, snapshot, nowMs);
    const key = callerKey(request.caller);
    let own = { fiveHour: 0, weekly: 0 };
    if (claim !== undefined && claim.isOpen) {
      claim.isOpen = false;
      track.fiveHour.release(claim);
      track.weekly.release(claim);
      own = {
        fiveHour: toNano(risePoints(claim.fiveHour, snapshot.planWeight, routeWeight)),
        weekly: toNano(risePoints(claim.weekly, snapshot.planWeight, routeWeight)),
      };
    }
    const tokens = weightedTokens(request.usage, request.cacheReadWeight);
    if (track.finished.size < MAX_FINISHED_CALLERS || track.finished.has(key))
      track.finished.set(key, (track.finished.get(key) ?? 0) + tokens);
    const shared = this.#observeOther(track, snapshot, routeWeight, nowMs);
    const mine = shared.get(key) ?? { fiveHour: 0, weekly: 0 };
    const total = { fiveHour: own.fiveHour + mine.fiveHour, weekly: own.weekly + mine.weekly };
    if (total.fiveHour > 0 || total.weekly > 0) this.#append(key, provider, total, nowMs);
    for (const [other, amount] of shared) if (other !== key) this.#append(other, provider, amount, nowMs);
    return { points5h: total.fiveHour / 1e9, pointsWeekly: total.weekly / 1e9 };
  }

  /**
   * A reading that no response of ours carried: its rise beyond the level goes to the callers
   * whose requests finished on the credential since the previous observation, by tokens.
   */
  #observeOther(
    track: CredentialTrack,
    snapshot: CredentialSnapshot,
    routeWeight: number,
    nowMs: number,
  ): Map<string, { fiveHour: number; weekly: number }> {
    const result = new Map<string, { fiveHour: number; weekly: number }>();
    if (!snapshot.hasData) return result;
    const nowSeconds = toUnixSeconds(nowMs);
    const rise = {
      fiveHour: track.fiveHour.observe(snapshot.fiveHour, nowSeconds),
      weekly: track.weekly.observe(snapshot.weekly, nowSeconds),
    };
    if (rise.fiveHour <= 0 && rise.weekly <= 0) return result;
    const shares = [...track.finished].map(([key, tokens]) => ({ key, tokens }));
    track.finished.clear();
    for (const window of ['fiveHour', 'weekly'] as const) {
      const nano = toNano(risePoints(rise[window], snapshot.planWeight, routeWeight));
      for (const { key, nano: part } of splitByTokens(nano, shares)) {
        const entry = result.get(key) ?? { fiveHour: 0, weekly: 0 };
        entry[window] += part;
        result.set(key, entry);
      }
    }
    return result;
  }

  #append(caller: string, provider: string, amount: { fiveHour: number; weekly: number }, nowMs: number): void {
    try {
      this.#store.append(caller, provider, { atMs: nowMs, fiveHourNano: amount.fiveHour, weeklyNano: amount.weekly });
    } catch (error) {
      this.#logger.error({ err: error, caller }, 'cannot record consumption');
    }
  }

  /** The route's weight as its aggregate counts it; never less than the credential's own. */
  #routeWeight(request: SettleRequest, snapshot: CredentialSnapshot, nowMs: number): number {
    const snapshots = request.pool.snapshots(request.access.routeTag, request.access.allowExternal, nowMs);
    const weight = aggregateProvider(snapshots, toUnixSeconds(nowMs)).plan_weight;
    return Math.max(weight, snapshot.planWeight);
  }

  #track(provider: string, tag: string): CredentialTrack {
    const id = `${provider}/${tag}`;
    let track = this.#tracks.get(id);
    if (track === undefined) {
      track = { fiveHour: new WindowClaims('fiveHour'), weekly: new WindowClaims('weekly'), finished: new Map() };
      this.#tracks.set(id, track);
    }
    return track;
  }
}
