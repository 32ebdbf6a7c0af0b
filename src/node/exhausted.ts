/**
 * The answer when no credential is left to try. If every credential is only rate-limited the
 * client may retry later (429 + retry-after); otherwise say plainly what is wrong with each
 * (PROTOCOL.md › Errors), never a bare 500.
 */
import { errorMessage, QuotaMeshError, toUnixSeconds } from '../lib/index.ts';
import type { CredentialSnapshot } from '../status/index.ts';
import { errors } from './error-reply.ts';

export function exhaustedError(snapshots: CredentialSnapshot[], nowMs: number, transportError: unknown): QuotaMeshError {
  if (snapshots.length === 0) return errors.forbidden('no credential is available to you on this route');
  const nowSeconds = toUnixSeconds(nowMs);
  const limited = snapshots.filter((snapshot) => snapshot.state === 'rate_limited');
  if (limited.length === snapshots.length) {
    const retryAt = Math.min(...limited.map((snapshot) => snapshot.retryAt || nowSeconds + 60));
    const retryAfterSeconds = Math.max(1, retryAt - nowSeconds);
    return new QuotaMeshError(
      'all_rate_limited',
      429,
      'rate_limit_error',
      `all credentials are rate-limited; earliest retry in ${formatDuration(retryAt - nowSeconds)}`,
      {
        retryAfterSeconds,
        retryAt: nowSeconds + retryAfterSeconds,
      },
    );
  }
  if (transportError !== undefined && snapshots.every((snapshot) => snapshot.state !== 'unavailable')) {
    return errors.badGateway(errorMessage(transportError));
  }
  const reasons = snapshots.map((snapshot) => `${snapshot.tag}: ${describe(snapshot, nowSeconds)}`).join('; ');
  // A credential that is only briefly out (a short error bench) says when to try again.
  const soonest = Math.min(...snapshots.map((snapshot) => (snapshot.retryAt > nowSeconds ? snapshot.retryAt - nowSeconds : Infinity)));
  return new QuotaMeshError('no_usable_credential', 503, 'api_error', `no usable credential (${reasons})`, {
    retryAfterSeconds: Number.isFinite(soonest) ? Math.min(soonest, 30) : 30,
  });
}

function describe(snapshot: CredentialSnapshot, nowSeconds: number): string {
  // Reasons stay in the logs and the admin's status rows: they may name local file paths.
  if (snapshot.state === 'unavailable')
    return snapshot.retryAt > nowSeconds ? `unreachable for ${formatDuration(snapshot.retryAt - nowSeconds)}` : 'unavailable';
  if (snapshot.state === 'rate_limited') return `rate-limited for ${formatDuration(snapshot.retryAt - nowSeconds)}`;
  if (snapshot.weekly.utilization >= snapshot.capWeekly) return `weekly usage at its cap of ${snapshot.capWeekly}%`;
  if (snapshot.fiveHour.utilization >= snapshot.cap5h) return `5-hour usage at its cap of ${snapshot.cap5h}%`;
  return 'failed';
}

export function formatDuration(seconds: number): string {
  const value = Math.max(0, Math.round(seconds));
  if (value < 120) return `${value}s`;
  if (value < 7200) return `${Math.round(value / 60)}m`;
  return `${Math.floor(value / 3600)}h${Math.round((value % 3600) / 60)}m`;
}
