/**
 * What every background look at an account shares: an auth failure gets one recovery (re-read the
 * file, else refresh) and one retry; the usage endpoint's own 429 is its limit, not the account's
 * (it is rate-limited separately from inference); a plain 403 means this token may not read usage
 * (setup tokens), which is no error; failures are loud at first and quiet once backoff is at its
 * cap.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../lib/index.ts';
import type { AccountFetch } from '../upstream/index.ts';
import type { TokenSource } from './token-source.ts';
import type { PollResult } from './usage-poller.ts';

export type TokenFetch<T> = (token: string) => Promise<AccountFetch<T>>;

const QUIET_AFTER_FAILURES = 3;

/** One fetch; on an auth failure one recovery and one retry with the token then in hand. */
export async function fetchWithAuthRecovery<Document, T>(
  tokens: TokenSource<Document>,
  fetchWith: TokenFetch<T>,
): Promise<AccountFetch<T>> {
  let token: string;
  try {
    token = await tokens.accessToken();
  } catch (error) {
    return { kind: 'failed', message: errorMessage(error) };
  }
  const first = await fetchWith(token);
  if (first.kind !== 'auth') return first;
  if (!(await tokens.recover(first.status, first.body).catch(() => false))) return first;
  const retryToken = tokens.currentAccessToken;
  return retryToken === undefined ? first : fetchWith(retryToken);
}

export interface UsageAnswerDeps<T> {
  logger: Logger;
  /** Failures so far, to log loudly at first and quietly once backoff is at its cap. */
  failures: number;
  /** Logged at debug on a 403. */
  forbiddenMessage: string;
  onUsage: (usage: T) => void;
}

/** What the poller makes of one usage answer. */
export function usagePollResult<T>(usage: AccountFetch<T>, deps: UsageAnswerDeps<T>): PollResult {
  const { logger } = deps;
  switch (usage.kind) {
    case 'ok':
      deps.onUsage(usage.value);
      return { kind: 'ok' };
    case 'rate_limited':
      logger.info({ retryAfterMs: usage.retryAfterMs }, 'usage endpoint rate-limited us; relying on response headers meanwhile');
      return { kind: 'rate_limited', retryAfterMs: usage.retryAfterMs };
    case 'forbidden':
      logger.debug(deps.forbiddenMessage);
      return { kind: 'skipped' };
    case 'auth':
    case 'failed': {
      const message = usage.kind === 'auth' ? `usage endpoint answered ${usage.status} after auth recovery` : usage.message;
      const level = deps.failures + 1 >= QUIET_AFTER_FAILURES ? 'debug' : 'warn';
      logger[level]({ reason: message, failures: deps.failures + 1 }, 'usage poll failed');
      return { kind: 'failed' };
    }
  }
}
