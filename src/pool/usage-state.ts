/**
 * What one default credential knows about its account's capacity: both windows, the cooldown,
 * and how fresh that knowledge is. Pure state transitions; every method takes `nowMs`.
 */
import { effectiveWindow, type WindowUsage } from '../status/index.ts';
import type { RefusalScope } from './credential.ts';
import { ModelBlocks } from './model-blocks.ts';
import {
  cooldownAfterError,
  cooldownAfterRateLimit,
  cooldownAfterRefusal,
  cooldownAfterSuccess,
  cooldownEndedEarly,
  isCoolingDown,
  NO_COOLDOWN,
  parseCooldown,
  type Cooldown,
} from './cooldown.ts';

/** What any source (headers, a usage poll, a WebSocket event) says about the two windows. */
export interface WindowReading {
  fiveHour?: WindowUsage | undefined;
  weekly?: WindowUsage | undefined;
}

/** What a refused or accepted response says beyond its windows, in provider-neutral terms. */
export interface StatusFacts {
  /** The response says a window is spent even though its status may be 2xx. */
  isRejected: boolean;
  /** When a 429 ends, as precisely as the provider tells. */
  hint: RateLimitHint;
  /** Whom a refusal is about (credential.ts); absent = the account. */
  scope?: RefusalScope | undefined;
  /** The request's model family, for a model-scoped refusal. */
  modelFamily?: string | undefined;
}

export interface RateLimitHint {
  resetAtMs?: number;
  retryAfterMs?: number;
}

export interface Caps {
  cap5h: number;
  capWeekly: number;
}

/** The shape `persistentState()` returns and `restoreState()` accepts (version 1). */
export interface PersistedUsageState {
  version: 1;
  cooldown: Cooldown;
  fiveHour: WindowUsage;
  weekly: WindowUsage;
  hasData: boolean;
  /** Epoch ms of the last usage data (headers or poll); 0 = never. */
  lastUpdatedMs: number;
}

const EMPTY_WINDOW: WindowUsage = Object.freeze({ utilization: 0, resetAt: 0 });

export class UsageState {
  fiveHour: WindowUsage = EMPTY_WINDOW;
  weekly: WindowUsage = EMPTY_WINDOW;
  hasData = false;
  lastUpdatedMs = 0;
  cooldown: Cooldown = NO_COOLDOWN;
  /** The vendor's words when it refused the account itself (kept for the admin rows, not persisted). */
  refusalReason: string | undefined;
  /** Model families this account refuses for now while other models still use it. */
  readonly modelBlocks = new ModelBlocks();

  /**
   * Header data. A lower utilisation only replaces a higher one when its reset moved later (a
   * new window): responses finishing out of order must not undo a poll (sing-box `f0022f59`).
   */
  applyHeaders(limits: WindowReading | undefined, nowMs: number): void {
    if (limits?.fiveHour === undefined && limits?.weekly === undefined) return;
    const nowSeconds = Math.floor(nowMs / 1000);
    if (limits.fiveHour) this.fiveHour = mergeHeaderWindow(this.fiveHour, limits.fiveHour, nowSeconds);
    if (limits.weekly) this.weekly = mergeHeaderWindow(this.weekly, limits.weekly, nowSeconds);
    this.hasData = true;
    this.lastUpdatedMs = nowMs;
  }

  /**
   * What a response's status says: 429 benches, errors bench briefly, success ends benches. A
   * refusal about the request or one model says nothing about the account and changes nothing;
   * one about the account itself goes through refuse().
   */
  applyOutcome(status: number, facts: StatusFacts, nowMs: number): void {
    if (facts.scope === 'model' && facts.modelFamily !== undefined) this.modelBlocks.block(facts.modelFamily, facts.hint, nowMs);
    if ((facts.scope ?? 'account') !== 'account') return;
    if (status === 429) {
      this.cooldown = cooldownAfterRateLimit(this.cooldown, facts.hint, nowMs);
    } else if (status === 0 || status === 529 || status >= 500) {
      this.cooldown = cooldownAfterError(this.cooldown, nowMs);
    } else if (status >= 200 && status < 300 && !facts.isRejected) {
      this.cooldown = cooldownAfterSuccess(this.cooldown);
      this.refusalReason = undefined;
    }
  }

  isModelBlocked(family: string, nowMs: number): boolean {
    return this.modelBlocks.isBlocked(family, nowMs);
  }

  modelBlockReason(nowMs: number): string | undefined {
    return this.modelBlocks.reason(nowMs);
  }

  /** The vendor refused the account itself, in these words (bounded by the caller). */
  refuse(reason: string | undefined, nowMs: number): void {
    this.cooldown = cooldownAfterRefusal(this.cooldown, nowMs);
    this.refusalReason = reason;
  }

  /**
   * An operator's reset (docs/ADMIN.md): the bench, its backoff and every model block end now. A
   * window at its cap is not a cooldown and stays: only fresh usage data (a poll) moves it.
   */
  resetCooldown(): void {
    this.cooldown = NO_COOLDOWN;
    this.refusalReason = undefined;
    this.modelBlocks.clear();
  }

  /** Poll data overwrites unconditionally; showing capacity ends a rate-limit bench early. */
  applyPoll(usage: WindowReading, caps: Caps, nowMs: number): void {
    if (usage.fiveHour) this.fiveHour = usage.fiveHour;
    if (usage.weekly) this.weekly = usage.weekly;
    this.hasData = this.hasData || usage.fiveHour !== undefined || usage.weekly !== undefined;
    this.lastUpdatedMs = nowMs;
    if (this.cooldown.cause === 'rate_limit' && isCoolingDown(this.cooldown, nowMs) && this.cappedUntil(caps, nowMs) === undefined) {
      this.cooldown = cooldownEndedEarly(this.cooldown);
    }
  }

  isCoolingDown(nowMs: number): boolean {
    return isCoolingDown(this.cooldown, nowMs);
  }

  /**
   * Undefined when both windows are under their caps. Otherwise the Unix second the binding
   * window resets (0 = unknown). Reset-aware: a window whose reset passed is empty again.
   */
  cappedUntil(caps: Caps, nowMs: number): number | undefined {
    const nowSeconds = Math.floor(nowMs / 1000);
    const resets: number[] = [];
    const fiveHour = effectiveWindow(this.fiveHour, nowSeconds);
    const weekly = effectiveWindow(this.weekly, nowSeconds);
    if (fiveHour.utilization >= caps.cap5h) resets.push(fiveHour.resetAt);
    if (weekly.utilization >= caps.capWeekly) resets.push(weekly.resetAt);
    if (resets.length === 0) return undefined;
    return resets.includes(0) ? 0 : Math.max(...resets);
  }

  /** When the block ends by the clock alone (cooldown over, capped window reset); 0 = never. */
  nextChangeMs(caps: Caps, nowMs: number): number {
    const cappedUntil = this.cappedUntil(caps, nowMs);
    const ends = [this.cooldown.untilMs, cappedUntil === undefined ? 0 : cappedUntil * 1000, ...this.modelBlocks.ends(nowMs)].filter(
      (end) => end > nowMs,
    );
    return ends.length === 0 ? 0 : Math.min(...ends);
  }

  /** Why capacity says no right now, in words; undefined when it says yes. */
  blockReason(caps: Caps, nowMs: number): string | undefined {
    if (this.isCoolingDown(nowMs)) {
      const until = new Date(this.cooldown.untilMs).toISOString();
      if (this.cooldown.cause === 'refused')
        return `refused by the vendor (${this.refusalReason ?? 'account refused'}); asking again after ${until}`;
      return this.cooldown.cause === 'upstream_error' ? `upstream errors; retrying after ${until}` : `rate-limited until ${until}`;
    }
    const cappedUntil = this.cappedUntil(caps, nowMs);
    if (cappedUntil === undefined) return undefined;
    const until = cappedUntil > 0 ? ` until ${new Date(cappedUntil * 1000).toISOString()}` : '';
    return `usage at its cap (5h ${caps.cap5h}%, weekly ${caps.capWeekly}%)${until}`;
  }

  persist(): PersistedUsageState {
    return {
      version: 1,
      cooldown: { ...this.cooldown },
      fiveHour: { ...this.fiveHour },
      weekly: { ...this.weekly },
      hasData: this.hasData,
      lastUpdatedMs: this.lastUpdatedMs,
    };
  }

  /**
   * Takes what a saved state knows better than we do: windows only when they are newer than
   * ours, a cooldown only when it runs longer. Garbage is ignored piece by piece.
   */
  restore(state: unknown, nowMs: number): void {
    if (state === null || typeof state !== 'object') return;
    const fields = state as Record<string, unknown>;
    if (fields['version'] !== 1) return;
    const savedAt =
      typeof fields['lastUpdatedMs'] === 'number' && Number.isFinite(fields['lastUpdatedMs'])
        ? Math.min(fields['lastUpdatedMs'], nowMs)
        : 0;
    const fiveHour = parseWindow(fields['fiveHour']);
    const weekly = parseWindow(fields['weekly']);
    if (savedAt > this.lastUpdatedMs && fiveHour !== undefined && weekly !== undefined) {
      this.fiveHour = fiveHour;
      this.weekly = weekly;
      this.hasData = fields['hasData'] === true;
      this.lastUpdatedMs = savedAt;
    }
    const cooldown = parseCooldown(fields['cooldown'], nowMs);
    if (cooldown.untilMs > this.cooldown.untilMs) this.cooldown = cooldown;
  }
}

function mergeHeaderWindow(previous: WindowUsage, next: WindowUsage, nowSeconds: number): WindowUsage {
  const previousIsOver = previous.resetAt > 0 && previous.resetAt <= nowSeconds;
  if (previousIsOver || next.utilization >= previous.utilization || next.resetAt > previous.resetAt) return next;
  return previous;
}

function parseWindow(value: unknown): WindowUsage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const utilization = fields['utilization'];
  const resetAt = fields['resetAt'];
  if (typeof utilization !== 'number' || !Number.isFinite(utilization) || utilization < 0 || utilization > 100) return undefined;
  if (typeof resetAt !== 'number' || !Number.isFinite(resetAt) || resetAt < 0) return undefined;
  return { utilization, resetAt: Math.floor(resetAt) };
}
