/**
 * The answer of one background look at an account (a usage or profile endpoint), whatever the
 * provider: the pool's poller reacts to the kind, the provider fills in the value.
 */
export type AccountFetch<T> =
  | { kind: 'ok'; value: T }
  /** The endpoint throttles itself: not an account limit. */
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  /** 401, or a 403 the provider calls a revoked token: worth one auth recovery. */
  | { kind: 'auth'; status: number; body: string }
  /** Any other 403: the token may not read this endpoint (e.g. setup tokens). */
  | { kind: 'forbidden' }
  | { kind: 'failed'; message: string };

export interface AccountFetchOptions {
  nowMs: () => number;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
}

/** A usage or profile answer is a few kilobytes; anything near this is not one. */
export const MAX_ACCOUNT_RESPONSE_BYTES = 1024 * 1024;
