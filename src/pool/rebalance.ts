/**
 * When a sticky session should leave a hot credential (CONFIG.md › rebalance_threshold, as
 * sing-box's least-used balancer does it). Pure: the pool asks on
 * every sticky hit of a least-used balancer with `rebalance_threshold` > 0.
 *
 * The threshold is in weekly percentage points and is divided by the current credential's plan
 * weight: one point of a Max 20x account is ten times the tokens of one point of a Pro account,
 * so the bigger the account, the smaller the gap that is worth a cold prompt cache.
 */
import { pickLeastUsed, weeklyUtilization, type CandidateView } from './strategies.ts';

export interface RebalanceDecision {
  /** Index of the credential the sessions should move to. */
  targetIndex: number;
  /** Weekly points the current credential is ahead of the target (reset-aware). */
  deltaPoints: number;
  /** The threshold this delta had to exceed: threshold / current plan weight. */
  effectivePoints: number;
}

export function rebalanceTarget(
  candidates: readonly CandidateView[],
  currentIndex: number,
  thresholdPoints: number,
  nowMs: number,
): RebalanceDecision | undefined {
  const current = candidates[currentIndex];
  if (current === undefined || !(thresholdPoints > 0)) return undefined;
  const targetIndex = pickLeastUsed(candidates, nowMs);
  if (targetIndex === undefined || targetIndex === currentIndex) return undefined;
  const target = candidates[targetIndex];
  if (target === undefined) return undefined;
  // A weightless credential (an external peer with no data yet) would divide by zero; treating
  // it as weight 1 keeps the raw threshold, the most conservative reading.
  const weight = current.planWeight > 0 && Number.isFinite(current.planWeight) ? current.planWeight : 1;
  const effectivePoints = thresholdPoints / weight;
  const deltaPoints = weeklyUtilization(current, nowMs) - weeklyUtilization(target, nowMs);
  return deltaPoints > effectivePoints ? { targetIndex, deltaPoints, effectivePoints } : undefined;
}
