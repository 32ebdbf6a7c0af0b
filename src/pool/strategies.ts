/**
 * How a balancer chooses among its members (CONFIG.md › Strategies), as pure functions over
 * plain views: every input, including time, the random source and the round-robin counter, is
 * passed in, so a table of cases pins down the exact pick sequence.
 */
import { effectiveWindow, type WindowUsage } from '../status/index.ts';

export type Strategy = 'least-used' | 'round-robin' | 'random' | 'fallback';

/** What a strategy may know about one member at the moment of choosing. */
export interface CandidateView {
  tag: string;
  type: 'default' | 'external';
  planWeight: number;
  /** Usable now and not excluded for this request (caps, cooldowns, failover already applied). */
  isUsable: boolean;
  /** Last known weekly window; made reset-aware here. */
  weekly: WindowUsage;
  /** Usable up to this weekly percent. */
  capWeekly: number;
  /** Carrying as many requests as its `max_concurrent` allows: passed over while another is usable. */
  isAtCap?: boolean;
}

export interface PickContext {
  nowMs: number;
  /** Uniform in [0, 1); Math.random in production, a fixed sequence in tests. */
  random: () => number;
  /** Round-robin position; the caller advances it once per pick. */
  counter: number;
}

const HOURS_PER_WEEK = 168;
const MS_PER_HOUR = 3_600_000;

/**
 * Index into `candidates` of the chosen member, or undefined when none is usable. A member at its
 * concurrency cap is never chosen (issue 15: the balancer prefers a credential with room, and
 * when every usable one is full the request waits for a slot instead).
 */
export function pick(strategy: Strategy, candidates: readonly CandidateView[], context: PickContext): number | undefined {
  return pickAmong(strategy, withRoom(candidates), context);
}

/** The views with every member at its cap marked unusable; the same array when none is. */
export function withRoom(candidates: readonly CandidateView[]): readonly CandidateView[] {
  if (!candidates.some((candidate) => candidate.isAtCap === true && candidate.isUsable)) return candidates;
  return candidates.map((candidate) => (candidate.isAtCap === true ? { ...candidate, isUsable: false } : candidate));
}

function pickAmong(strategy: Strategy, candidates: readonly CandidateView[], context: PickContext): number | undefined {
  switch (strategy) {
    case 'least-used':
      return pickLeastUsed(candidates, context.nowMs);
    case 'round-robin':
      return pickRoundRobin(candidates, context.counter);
    case 'random':
      return pickRandom(candidates, context.random);
    case 'fallback':
      return pickFallback(candidates);
  }
}

/** First usable member in list order; evaluated on every request, never sticky. */
export function pickFallback(candidates: readonly CandidateView[]): number | undefined {
  const index = candidates.findIndex((candidate) => candidate.isUsable);
  return index === -1 ? undefined : index;
}

/** Weekly utilisation, a past reset read as "window rolled over, fully free" (PROTOCOL.md › Status JSON). */
export function weeklyUtilization(candidate: CandidateView, nowMs: number): number {
  const utilization = effectiveWindow(candidate.weekly, Math.floor(nowMs / 1000)).utilization;
  return Number.isFinite(utilization) ? utilization : 100;
}

/**
 * Remaining weekly capacity × plan weight × urgency. Urgency is 168 h / hours until the weekly
 * reset ("use it or lose it"), saturating at 1 h. Unlike sing-box, a reset already in the
 * past does not boost ×168: that window is over, and its capacity is already counted as free.
 */
export function leastUsedScore(candidate: CandidateView, nowMs: number): number {
  const remaining = Math.max(0, finiteOr(candidate.capWeekly, 0) - weeklyUtilization(candidate, nowMs));
  const weight = candidate.planWeight > 0 && Number.isFinite(candidate.planWeight) ? candidate.planWeight : 0;
  const resetAtMs = candidate.weekly.resetAt * 1000;
  const hoursUntilReset = (resetAtMs - nowMs) / MS_PER_HOUR;
  const urgency = candidate.weekly.resetAt > 0 && resetAtMs > nowMs ? HOURS_PER_WEEK / Math.max(1, hoursUntilReset) : 1;
  return remaining * weight * urgency;
}

/** Highest score wins; a tie keeps the earlier member, so config order is the tie-break. */
export function pickLeastUsed(candidates: readonly CandidateView[], nowMs: number): number | undefined {
  let best: number | undefined;
  let bestScore = -Infinity;
  candidates.forEach((candidate, index) => {
    if (!candidate.isUsable) return;
    const score = leastUsedScore(candidate, nowMs);
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  });
  return best;
}

/** Starting at `counter` (mod length), the first usable member, wrapping around. */
export function pickRoundRobin(candidates: readonly CandidateView[], counter: number): number | undefined {
  const count = candidates.length;
  if (count === 0) return undefined;
  const start = ((Math.trunc(counter) % count) + count) % count;
  for (let offset = 0; offset < count; offset += 1) {
    const index = (start + offset) % count;
    if (candidates[index]?.isUsable === true) return index;
  }
  return undefined;
}

/** Uniform among usable members. */
export function pickRandom(candidates: readonly CandidateView[], random: () => number): number | undefined {
  const usable = candidates.flatMap((candidate, index) => (candidate.isUsable ? [index] : []));
  if (usable.length === 0) return undefined;
  // Clamped so a random source that returns exactly 1 cannot index past the end.
  const slot = Math.min(usable.length - 1, Math.max(0, Math.floor(random() * usable.length)));
  return usable[slot];
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}
