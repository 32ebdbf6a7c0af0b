/**
 * One background look at a ChatGPT account's usage (`wham/usage`), with the shared rules of
 * account-poll.ts. The request names the account (`ChatGPT-Account-Id`) as of each attempt, so a
 * retry after recovery found another login asks about that one.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/index.ts';
import { fetchWithAuthRecovery, usagePollResult, type PollResult, type TokenSource } from '../../pool/index.ts';
import { fetchCodexUsage, type CodexUsage } from './account-usage.ts';
import type { CodexAuthDocument } from './auth-file.ts';

export interface CodexAccountPollDeps {
  tokens: TokenSource<CodexAuthDocument>;
  usageUrl: string;
  clock: Clock;
  logger: Logger;
  /** Failures so far, to log loudly at first and quietly once backoff is at its cap. */
  failures: number;
  onUsage: (usage: CodexUsage) => void;
}

export async function pollCodexAccount(deps: CodexAccountPollDeps): Promise<PollResult> {
  const { tokens } = deps;
  if (tokens.document === undefined) return { kind: 'skipped' };
  const usage = await fetchWithAuthRecovery(tokens, (token) =>
    fetchCodexUsage(deps.usageUrl, token, tokens.document?.tokens.accountId, { nowMs: () => deps.clock.now() }),
  );
  return usagePollResult(usage, { ...deps, forbiddenMessage: 'token may not read usage; relying on response headers' });
}
