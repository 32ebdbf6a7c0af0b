/**
 * What the token machinery (token-source.ts, refresh-under-lock.ts) needs to know about one
 * provider's credential file: how to read it, which tokens it holds, when the provider's own
 * client would refresh, and the words its messages use. Single flight, the lock, the re-read,
 * the writability check, 401 recovery and problem tracking are the same for every provider
 * so they are written once and take a format.
 */

/** A token endpoint answer; an `ok` already carries the new file text (unknown keys kept). */
export type FormatRefreshResult =
  | { kind: 'ok'; text: string; logFields: Record<string, unknown> }
  | { kind: 'rate_limited'; retryAfterMs: number | undefined }
  /** The refresh token is dead: only a new login helps. */
  | { kind: 'rejected'; message: string }
  /** Transport error, 5xx, garbage: worth another try later. */
  | { kind: 'failed'; message: string };

export interface TokenFormat<Document> {
  parse(text: string): Document | { error: string };
  accessToken(document: Document): string;
  refreshToken(document: Document): string | undefined;
  /** The access token itself no longer works; a failed early refresh matters only from then on. */
  isExpired(document: Document, nowMs: number): boolean;
  /** The provider's own client would refresh now. */
  needsRefresh(document: Document, nowMs: number): boolean;
  canRefresh(document: Document): boolean;
  /** An upstream refusal that another token may cure. */
  isRecoverable(status: number, body: string): boolean;
  /** The lock the provider's own client takes while refreshing this file. */
  defaultLockTarget(path: string): string;
  /** One call to the token endpoint; only called when `canRefresh`. */
  refresh(oauthUrl: string, document: Document, nowMs: () => number): Promise<FormatRefreshResult>;
  /** Besides the access token, a change status watchers would see (e.g. the plan). */
  hasVisibleChange?(previous: Document, next: Document): boolean;
  /** Logged when 401 recovery finds another token in the file; undefined says nothing. */
  swapNotice?(before: Document, after: Document): string | undefined;
  messages: TokenMessages;
}

/** The words that differ between providers; the sentences around them are shared. */
export interface TokenMessages {
  /** How the file is named: `${file} not loaded yet`, `${file} is invalid: …`. */
  file: string;
  /** `refreshed ${refreshedDocument} does not parse`. */
  refreshedDocument: string;
  /** `refreshing ${token}`, `${token} refreshed`. */
  token: string;
  /** What to do once the refresh token is rejected. */
  relogin: string;
  /** `access token rejected (401) and ${cannotRefresh}`. */
  cannotRefresh: string;
}
