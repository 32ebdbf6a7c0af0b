/**
 * Bounds on values an upstream (a vendor or a peer) hands us before we store them: tokens go
 * into credential files and HTTP headers, token counts into the ledger, resets into cooldowns
 * and status. A value outside its bound is treated as absent, never saved or summed.
 */
import { MAX_RESET_DISTANCE_SECONDS } from './header-values.ts';

/** Longer than any OAuth token or id_token seen (Codex id_tokens are a few KiB). */
const MAX_TOKEN_LENGTH = 64 * 1024;

/**
 * A token as it may be stored and later sent in `Authorization`: visible ASCII only. A control
 * character (CR/LF above all) would split the credential file's JSON consumers' headers, or make
 * every later request throw before it is sent.
 */
export function isTokenText(value: string): boolean {
  return value.length > 0 && value.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(value);
}

/** More than any one response's tokens (context windows are ~10^6): anything above is garbage. */
export const MAX_TOKEN_COUNT = 100_000_000;

/** A reset time in Unix seconds within 400 days of now (as header resets are), else 0 = unknown. */
export function boundedReset(seconds: number, nowSeconds: number): number {
  return Number.isFinite(seconds) && Math.abs(seconds - nowSeconds) <= MAX_RESET_DISTANCE_SECONDS ? Math.round(seconds) : 0;
}
