/**
 * The `codex.rate_limits` event a client sees over a WebSocket session: the pool aggregate in
 * the event's own shape (primary = the 5-hour window, secondary = the week), never one
 * account's numbers or credits (sing-box `63d4cdff`).
 */
import type { ProviderStatus } from '../../status/index.ts';
import { FIVE_HOUR_MINUTES, WEEKLY_MINUTES } from './ratelimit.ts';

export function aggregateRateLimitsEvent(aggregate: ProviderStatus): Record<string, unknown> {
  const window = (usedPercent: number, minutes: number, resetAt: number) => ({
    used_percent: usedPercent,
    window_minutes: minutes,
    ...(resetAt > 0 ? { reset_at: resetAt } : {}),
  });
  return {
    type: 'codex.rate_limits',
    rate_limits: {
      primary: window(aggregate.five_hour_utilization, FIVE_HOUR_MINUTES, aggregate.five_hour_reset),
      secondary: window(aggregate.weekly_utilization, WEEKLY_MINUTES, aggregate.weekly_reset),
    },
  };
}
