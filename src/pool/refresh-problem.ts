/**
 * Why a token refresh did not happen, and until when no new attempt is made: the same rules for
 * every provider (each a bug sing-box had to fix: honour a token endpoint's 429, never retry a
 * dead refresh token in a loop, never refresh what cannot be saved).
 */
export interface RefreshProblem {
  kind: 'rate_limited' | 'rejected' | 'unwritable' | 'lock_busy' | 'failed';
  /** Human-readable, shown in logs and in the credential's unavailable reason. */
  reason: string;
  /** No new attempt before this (epoch ms). */
  retryAtMs: number;
  /** True when the current access token is useless too (not merely about to expire). */
  isFatal: boolean;
  /** The refresh token this is about; a file with a different one clears the problem. */
  refreshToken: string | undefined;
  /** For access-token rejections of tokens that cannot be refreshed. */
  accessToken?: string;
  /** Consecutive transient failures, for the retry backoff. */
  failures?: number;
}

/** A Retry-After of days is a bug upstream; an expired token must not stay dead that long. */
export const LONGEST_TOKEN_BLOCK_MS = 60 * 60_000;
export const REJECTED_RECHECK_MS = 60_000;
export const UNWRITABLE_RECHECK_MS = 10_000;
export const TOKEN_RATE_LIMIT_DEFAULT_MS = 60_000;
const FAILED_RETRY_MS = 5000;
const FAILED_RETRY_MAX_MS = 5 * 60_000;

/** 5 s doubling to 5 min after consecutive transient failures. */
export function failedRetryDelayMs(failures: number): number {
  return Math.min(FAILED_RETRY_MS * 2 ** Math.min(failures - 1, 30), FAILED_RETRY_MAX_MS);
}
