/**
 * One background look at a Claude account: usage (and, when the credential file does not name
 * the plan, the profile), with the shared rules of account-poll.ts. A 403 that is not "revoked"
 * is the setup-token case: such tokens may read neither usage nor profile.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../lib/index.ts';
import { fetchWithAuthRecovery, usagePollResult, type PollResult, type TokenSource } from '../../pool/index.ts';
import { fetchClaudeProfile, fetchClaudeUsage, type ClaudeProfile, type ClaudeUsage } from './account-usage.ts';
import { needsProfile, type ClaudeCredentialDocument } from './credential-file.ts';

export interface AccountPollDeps {
  tokens: TokenSource<ClaudeCredentialDocument>;
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

export async function pollClaudeAccount(deps: AccountPollDeps): Promise<PollResult> {
  const { tokens } = deps;
  if (tokens.document === undefined) return { kind: 'skipped' };
  const usage = await fetchWithAuthRecovery(tokens, (token) => fetchClaudeUsage(deps.apiUrl, token, { nowMs: () => deps.clock.now() }));
  const document = tokens.document;
  if (usage.kind !== 'failed' && deps.needsProfile && document !== undefined && needsProfile(document.oauth)) await learnProfile(deps);
  return usagePollResult(usage, { ...deps, forbiddenMessage: 'token may not read usage (setup token?); relying on response headers' });
}

async function learnProfile(deps: AccountPollDeps): Promise<void> {
  const profile = await fetchWithAuthRecovery(deps.tokens, (token) =>
    fetchClaudeProfile(deps.apiUrl, token, { nowMs: () => deps.clock.now() }),
  );
  if (profile.kind === 'ok') {
    deps.logger.info({ ...profile.value }, 'learned plan from profile');
    deps.onProfile(profile.value);
  } else if (profile.kind === 'forbidden') {
    // Setup tokens may not read the profile: weight 1 it is, and asking again changes nothing.
    deps.onProfile({});
  }
}
