/**
 * A Claude subscription held in this node's own credential file (`.credentials.json`). What is
 * Claude's: the plan from the file or the profile, the unified rate-limit headers, and polling
 * usage and profile from `{api_url}/api/oauth/…`. Everything else: default-credential.ts.
 */
import { toUnixSeconds } from '../../lib/index.ts';
import { DefaultCredential, type DefaultCredentialOptions, type PollResult, type UpstreamOutcome } from '../../pool/index.ts';
import { pollClaudeAccount } from './account-poll.ts';
import type { ClaudeProfile } from './account-usage.ts';
import { claudePlanWeight, type ClaudeCredentialDocument } from './credential-file.ts';
import { claudeStatusFacts, parseUnifiedHeaders } from './ratelimit.ts';
import { claudeModelFamily } from './refusal.ts';
import { claudeTokenFormat } from './token-format.ts';

export interface ClaudeDefaultCredentialOptions extends DefaultCredentialOptions {
  /** `{api_url}` for messages, `/api/oauth/usage` and `/api/oauth/profile`. */
  apiUrl: string;
  /** The token endpoint (`claude.oauth_url`); default platform.claude.com. */
  oauthUrl?: string;
  /** Refresh lock target (default: Claude Code's lock, see claudeLockTarget). */
  lockTarget?: string;
}

export const DEFAULT_CLAUDE_OAUTH_URL = 'https://platform.claude.com/v1/oauth/token';

export class ClaudeDefaultCredential extends DefaultCredential<ClaudeCredentialDocument> {
  readonly provider = 'claude' as const;
  #profile: ClaudeProfile | undefined;

  constructor(options: ClaudeDefaultCredentialOptions) {
    super(options, claudeTokenFormat, DEFAULT_CLAUDE_OAUTH_URL);
  }

  get planWeight(): number {
    const oauth = this.tokens.document?.oauth;
    return claudePlanWeight(
      oauth?.subscriptionType ?? this.#profile?.subscriptionType,
      oauth?.rateLimitTier ?? this.#profile?.rateLimitTier,
    );
  }

  protected learnFrom(outcome: UpstreamOutcome, nowMs: number): void {
    const limits = parseUnifiedHeaders(outcome.headers, toUnixSeconds(nowMs));
    this.usage.applyHeaders(limits, nowMs);
    const modelFamily = outcome.model === undefined ? undefined : this.modelFamily(outcome.model);
    this.usage.applyOutcome(outcome.status, { ...claudeStatusFacts(limits), scope: outcome.scope, modelFamily }, nowMs);
  }

  /** Claude's per-model weekly windows are per family (seven_day_opus, seven_day_sonnet), not per model id. */
  protected override modelFamily(model: string): string {
    return claudeModelFamily(model);
  }

  protected pollAccount(failures: number): Promise<PollResult> {
    return pollClaudeAccount({
      tokens: this.tokens,
      apiUrl: this.options.apiUrl,
      clock: this.options.clock,
      logger: this.options.logger,
      needsProfile: this.#profile === undefined,
      failures,
      onUsage: (usage) => this.usage.applyPoll(usage, this.options, this.options.clock.now()),
      onProfile: (profile) => {
        this.#profile = profile;
      },
    });
  }
}
