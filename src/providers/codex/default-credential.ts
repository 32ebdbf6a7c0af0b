/**
 * A ChatGPT subscription held in this node's own Codex `auth.json`. What is Codex's: the plan
 * from the id_token or as usage and headers report it, the `ChatGPT-Account-Id` header, the
 * x-codex-* headers and refusal bodies, and polling `wham/usage`. Everything else:
 * default-credential.ts.
 */
import { toUnixSeconds } from '../../lib/index.ts';
import { DefaultCredential, type DefaultCredentialOptions, type PollResult, type UpstreamOutcome } from '../../pool/index.ts';
import { pollCodexAccount } from './account-poll.ts';
import { DEFAULT_CODEX_USAGE_URL } from './account-usage.ts';
import { codexPlanWeight, type CodexAuthDocument } from './auth-file.ts';
import { DEFAULT_CODEX_OAUTH_URL } from './oauth.ts';
import { codexRefusal, parseCodexHeaders } from './ratelimit.ts';
import { codexTokenFormat } from './token-format.ts';

export interface CodexDefaultCredentialOptions extends DefaultCredentialOptions {
  /** The Codex `auth.json`. */
  path: string;
  /** `codex.api_url`: the client path minus `/v1` is appended (…/backend-api/codex + /responses). */
  apiUrl: string;
  /** `codex.usage_url`; default chatgpt.com's wham/usage. */
  usageUrl?: string;
  /** `codex.oauth_url`; default auth.openai.com. */
  oauthUrl?: string;
  /** Refresh lock target (default the file itself: `<file>.lock`). */
  lockTarget?: string;
}

export class CodexDefaultCredential extends DefaultCredential<CodexAuthDocument> {
  readonly provider = 'codex' as const;
  readonly #usageUrl: string;
  /** The plan as the usage endpoint or the headers last named it. */
  #reportedPlan: string | undefined;

  constructor(options: CodexDefaultCredentialOptions) {
    super(options, codexTokenFormat, DEFAULT_CODEX_OAUTH_URL);
    this.#usageUrl = options.usageUrl ?? DEFAULT_CODEX_USAGE_URL;
  }

  /**
   * Plan weight (pro 10, prolite 5, else 1) from `chatgpt_plan_type` of the id_token, else what
   * usage or headers reported.
   */
  get planWeight(): number {
    return codexPlanWeight(this.tokens.document?.tokens.planType ?? this.#reportedPlan);
  }

  protected override authHeaders(token: string): Record<string, string> {
    const accountId = this.tokens.document?.tokens.accountId;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (accountId !== undefined) headers['chatgpt-account-id'] = accountId;
    return headers;
  }

  /** HTTP responses, and WebSocket events turned into outcomes by `codexEventOutcome`. */
  protected learnFrom(outcome: UpstreamOutcome, nowMs: number): void {
    const nowSeconds = toUnixSeconds(nowMs);
    const limits = parseCodexHeaders(outcome.headers, nowSeconds);
    this.usage.applyHeaders(limits, nowMs);
    if (limits?.planType !== undefined) this.#reportedPlan = limits.planType;
    const refusal = codexRefusal(limits, outcome.status === 429 ? outcome.body : undefined, nowSeconds);
    const hint = {
      ...(refusal.resetAt === undefined ? {} : { resetAtMs: refusal.resetAt * 1000 }),
      ...(refusal.retryAfterSeconds === undefined ? {} : { retryAfterMs: refusal.retryAfterSeconds * 1000 }),
    };
    const modelFamily = outcome.model === undefined ? undefined : this.modelFamily(outcome.model);
    this.usage.applyOutcome(outcome.status, { isRejected: refusal.isRejected, hint, scope: outcome.scope, modelFamily }, nowMs);
  }

  protected pollAccount(failures: number): Promise<PollResult> {
    return pollCodexAccount({
      tokens: this.tokens,
      usageUrl: this.#usageUrl,
      clock: this.options.clock,
      logger: this.options.logger,
      failures,
      onUsage: (usage) => {
        if (usage.planType !== undefined) this.#reportedPlan = usage.planType;
        this.usage.applyPoll(usage, this.options, this.options.clock.now());
      },
    });
  }
}
