/**
 * One background look at a Claude account: usage (and, when the credential file does not name
 * the plan, the profile). REFERENCE §5.7 rules: a 429 from the usage endpoint is its own rate
 * limit, not the account's; 401 or a revoked 403 gets one auth recovery and one retry; a plain
 * 403 means the token may not read usage (setup tokens) and is not an error.
 */
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import {
  fetchClaudeProfile,
  fetchClaudeUsage,
  needsProfile,
  type AccountFetch,
  type ClaudeProfile,
  type ClaudeUsage,
} from '../upstream/index.ts';
import type { ClaudeTokenSource } from './claude-token-source.ts';
import type { PollResult } from './usage-poller.ts';

export interface AccountPollDeps {
  tokens: ClaudeTokenSource;
  apiUrl: string;
  clock: Clock;
  logger: Logger;
  /** False once the plan is known from the profile. */
  needsProfile: boolean;
  /** Failures so far, to log loudly at first and quietly once backoff is at its cap. */
  failures: number;
  onUsage: (usage: ClaudeUsage) => void;
  onProfile: (profile: ClaudeProfile) => void;
}

const QUIET_AFTER_FAILURES = 3;

export async function pollClaudeAccount(deps: AccountPollDeps): Promise<PollResult> {
  const { tokens, logger } = deps;
  if (tokens.document === undefined) return { kind: 'skipped' };
  const usage = await withAuthRecovery(deps, (token) => fetchClaudeUsage(deps.apiUrl, token, { nowMs: () => deps.clock.now() }));
  const document = tokens.document;
  if (usage.kind !== 'failed' && deps.needsProfile && document !== undefined && needsProfile(document.oauth)) await learnProfile(deps);
  switch (usage.kind) {
    case 'ok':
      deps.onUsage(usage.value);
      return { kind: 'ok' };
    case 'rate_limited':
      logger.info({ retryAfterMs: usage.retryAfterMs }, 'usage endpoint rate-limited us; relying on response headers meanwhile');
      return { kind: 'rate_limited', retryAfterMs: usage.retryAfterMs };
    case 'forbidden':
      logger.debug('token may not read usage (setup token?); relying on response headers');
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

type TokenFetch<T> = (token: string) => Promise<AccountFetch<T>>;

/** One fetch; on an auth failure one recovery (re-read file, else refresh) and one retry. */
async function withAuthRecovery<T>(deps: AccountPollDeps, fetchWith: TokenFetch<T>): Promise<AccountFetch<T>> {
  let token: string;
  try {
    token = await deps.tokens.accessToken();
  } catch (error) {
    return { kind: 'failed', message: errorMessage(error) };
  }
  const first = await fetchWith(token);
  if (first.kind !== 'auth') return first;
  if (!(await deps.tokens.recover(first.status, first.body).catch(() => false))) return first;
  const retryToken = deps.tokens.document?.oauth.accessToken;
  return retryToken === undefined ? first : fetchWith(retryToken);
}

async function learnProfile(deps: AccountPollDeps): Promise<void> {
  const profile = await withAuthRecovery(deps, (token) => fetchClaudeProfile(deps.apiUrl, token, { nowMs: () => deps.clock.now() }));
  if (profile.kind === 'ok') {
    deps.logger.info({ ...profile.value }, 'learned plan from profile');
    deps.onProfile(profile.value);
  } else if (profile.kind === 'forbidden') {
    // Setup tokens may not read the profile: weight 1 it is, and asking again changes nothing.
    deps.onProfile({});
  }
}
