/**
 * One background look at a ChatGPT account's usage (`wham/usage`), with the rules of
 * claude-account-poll.ts: the endpoint's own 429 is not the account's limit (§4.11.6), a 401 gets
 * one auth recovery and one retry, a 403 means this token may not read usage.
 */
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import { fetchCodexUsage, type AccountFetch, type CodexUsage } from '../upstream/index.ts';
import type { CodexTokenSource } from './codex-token-source.ts';
import type { PollResult } from './usage-poller.ts';

export interface CodexAccountPollDeps {
  tokens: CodexTokenSource;
  usageUrl: string;
  clock: Clock;
  logger: Logger;
  /** Failures so far, to log loudly at first and quietly once backoff is at its cap. */
  failures: number;
  onUsage: (usage: CodexUsage) => void;
}

const QUIET_AFTER_FAILURES = 3;

export async function pollCodexAccount(deps: CodexAccountPollDeps): Promise<PollResult> {
  const { tokens, logger } = deps;
  if (tokens.document === undefined) return { kind: 'skipped' };
  const usage = await fetchWithRecovery(deps);
  switch (usage.kind) {
    case 'ok':
      deps.onUsage(usage.value);
      return { kind: 'ok' };
    case 'rate_limited':
      logger.info({ retryAfterMs: usage.retryAfterMs }, 'usage endpoint rate-limited us; relying on response headers meanwhile');
      return { kind: 'rate_limited', retryAfterMs: usage.retryAfterMs };
    case 'forbidden':
      logger.debug('token may not read usage; relying on response headers');
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

async function fetchWithRecovery(deps: CodexAccountPollDeps): Promise<AccountFetch<CodexUsage>> {
  const fetchWith = (token: string): Promise<AccountFetch<CodexUsage>> =>
    fetchCodexUsage(deps.usageUrl, token, deps.tokens.document?.tokens.accountId, { nowMs: () => deps.clock.now() });
  let token: string;
  try {
    token = await deps.tokens.accessToken();
  } catch (error) {
    return { kind: 'failed', message: errorMessage(error) };
  }
  const first = await fetchWith(token);
  if (first.kind !== 'auth') return first;
  if (!(await deps.tokens.recover(first.status).catch(() => false))) return first;
  const retryToken = deps.tokens.document?.tokens.accessToken;
  return retryToken === undefined ? first : fetchWith(retryToken);
}
