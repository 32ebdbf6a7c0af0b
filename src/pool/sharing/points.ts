/**
 * A credential's rise in utilization as points of a route's aggregate window: the aggregate
 * weighs each credential by its plan (PROTOCOL.md › Status JSON), so one percent of a Max 20x
 * account (weight 10) in a route of weight 20 is half a point of that route.
 */
import { NANO_PER_POINT } from './split.ts';

/** No single observation is worth more than the whole route's window. */
const MAX_POINTS = 100;

export function risePoints(risePercent: number, planWeight: number, routeWeight: number): number {
  if (!(risePercent > 0) || !(planWeight > 0) || !(routeWeight > 0)) return 0;
  const points = (risePercent * planWeight) / routeWeight;
  return Number.isFinite(points) ? Math.min(points, MAX_POINTS) : 0;
}

export function toNano(points: number): number {
  return Number.isFinite(points) && points > 0 ? Math.round(points * NANO_PER_POINT) : 0;
}

export function fromNano(nano: number): number {
  return nano / NANO_PER_POINT;
}
