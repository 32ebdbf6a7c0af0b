/**
 * A ChatGPT subscription held in this node's own Codex `auth.json`. It stays `unavailable`
 * (never crashing the node) while the file is missing or broken, and picks it up when it appears.
 * Tokens: token-source.ts; capacity: usage-state.ts; polling: usage-poller.ts.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage, toUnixSeconds, type Clock } from '../lib/index.ts';
import type { CredentialSnapshot } from '../status/index.ts';
import { codexPlanWeight, codexRefusal, DEFAULT_CODEX_OAUTH_URL, DEFAULT_CODEX_USAGE_URL, parseCodexHeaders, type CodexAuthDocument } from '../upstream/index.ts';
import { abortable } from './abortable.ts';
import { ChangeTracker } from './change-tracker.ts';
import type { PersistedCredentialState } from './claude-default-credential.ts';
import { pollCodexAccount } from './codex-account-poll.ts';
import { codexTokenFormat } from './codex-token-format.ts';
import { CredentialUnavailableError, type Credential, type CredentialStats, type UpstreamOutcome, type UpstreamTarget } from './credential.ts';
import type { FileLockOptions } from './file-lock.ts';
import { UsageState } from './usage-state.ts';
import { TokenSource } from './token-source.ts';
import { DEFAULT_POLL_TIMINGS, UsagePoller, type UsagePollTimings } from './usage-poller.ts';

export interface CodexDefaultCredentialOptions {
  tag: string;
  /** The Codex `auth.json`. */
  path: string;
  /** `codex.api_url`: the client path minus `/v1` is appended (…/backend-api/codex + /responses). */
  apiUrl: string;
  /** `codex.usage_url`; default chatgpt.com's wham/usage. */
  usageUrl?: string;
  /** `codex.oauth_url`; default auth.openai.com. */
  oauthUrl?: string;
  /** Usable up to these percents (SPEC §2 caps). */
  cap5h: number;
  capWeekly: number;
  clock: Clock;
  logger: Logger;
  /** Background usage polling (default on); tests may turn it off or shorten its timings. */
  pollUsage?: boolean;
  pollTimings?: Partial<UsagePollTimings>;
  /** Refresh lock target (default the file itself: `<file>.lock`) and timings. */
  lockTarget?: string;
  lockOptions?: FileLockOptions;
}

export class CodexDefaultCredential implements Credential {
  readonly tag: string;
  readonly type = 'default' as const;
  readonly provider = 'codex' as const;
  readonly #options: CodexDefaultCredentialOptions;
  readonly #agent: Agent;
  readonly #tokens: TokenSource<CodexAuthDocument>;
  readonly #usage = new UsageState();
  readonly #poller: UsagePoller;
  readonly #tracker: ChangeTracker;
  /** The plan as the usage endpoint or the headers last named it. */
  #reportedPlan: string | undefined;
  #hadDocument = false;
  #closed = false;

  constructor(options: CodexDefaultCredentialOptions) {
    this.tag = options.tag;
    this.#options = options;
    const agentOptions = { keepAlive: true, maxSockets: 256 };
    this.#agent = options.apiUrl.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.#tokens = new TokenSource({
      format: codexTokenFormat,
      path: options.path,
      oauthUrl: options.oauthUrl ?? DEFAULT_CODEX_OAUTH_URL,
      clock: options.clock,
      logger: options.logger,
      lockTarget: options.lockTarget,
      lockOptions: options.lockOptions,
      onChange: () => this.#onTokensChanged(),
    });
    this.#poller = new UsagePoller({
      clock: options.clock,
      run: () => this.#pollOnce(),
      lastUpdatedMs: () => this.#usage.lastUpdatedMs,
      timings: { ...DEFAULT_POLL_TIMINGS, ...options.pollTimings },
    });
    this.#tracker = new ChangeTracker({
      clock: options.clock,
      key: (nowMs) => JSON.stringify([this.snapshot(nowMs), this.reason(nowMs)]),
      nextWakeMs: (nowMs) => this.#usage.nextChangeMs(options, nowMs),
    });
  }

  /** Loads the file now, keeps watching it, and schedules the first usage poll. */
  async start(): Promise<void> {
    await this.#tokens.start();
    if (this.#options.pollUsage !== false) this.#poller.kick();
  }

  reload(): Promise<void> {
    return this.#tokens.reload();
  }

  /** SPEC §5 from `chatgpt_plan_type` of the id_token, else what usage or headers reported. */
  get planWeight(): number {
    return codexPlanWeight(this.#tokens.document?.tokens.planType ?? this.#reportedPlan);
  }

  /** On every pick, so it avoids building the reason text. */
  isUsable(nowMs: number): boolean {
    return this.#tokens.unavailableReason(nowMs) === undefined && !this.#usage.isCoolingDown(nowMs) && this.#usage.cappedUntil(this.#options, nowMs) === undefined;
  }

  /** Why this credential cannot take a request now (for logs, admin rows, 503 bodies). */
  reason(nowMs: number): string | undefined {
    return this.#tokens.unavailableReason(nowMs) ?? this.#usage.blockReason(this.#options, nowMs);
  }

  snapshot(nowMs: number): CredentialSnapshot {
    const isUnavailable = this.#tokens.unavailableReason(nowMs) !== undefined;
    const isCooling = this.#usage.isCoolingDown(nowMs);
    const cappedUntil = this.#usage.cappedUntil(this.#options, nowMs);
    // A window at its cap is a rate limit with a known end, as far as clients are concerned.
    const retryAt = isCooling ? Math.ceil(this.#usage.cooldown.untilMs / 1000) : (cappedUntil ?? 0);
    return {
      tag: this.tag,
      type: 'default',
      state: isUnavailable ? 'unavailable' : isCooling || cappedUntil !== undefined ? 'rate_limited' : 'usable',
      retryAt: isUnavailable ? 0 : retryAt,
      hasData: this.#usage.hasData,
      fiveHour: { ...this.#usage.fiveHour },
      weekly: { ...this.#usage.weekly },
      planWeight: this.planWeight,
      cap5h: this.#options.cap5h,
      capWeekly: this.#options.capWeekly,
      peer: null,
    };
  }

  async target(signal?: AbortSignal): Promise<UpstreamTarget> {
    let token: string;
    try {
      token = await abortable(this.#tokens.accessToken(), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new CredentialUnavailableError(this.tag, errorMessage(error));
    }
    const accountId = this.#tokens.document?.tokens.accountId;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (accountId !== undefined) headers['chatgpt-account-id'] = accountId;
    return { baseUrl: this.#options.apiUrl, headers, agent: this.#agent };
  }

  /** HTTP responses, and WebSocket events turned into outcomes by `codexEventOutcome`. */
  observe(outcome: UpstreamOutcome, nowMs: number): void {
    const nowSeconds = toUnixSeconds(nowMs);
    const limits = parseCodexHeaders(outcome.headers, nowSeconds);
    this.#usage.applyHeaders(limits, nowMs);
    if (limits?.planType !== undefined) this.#reportedPlan = limits.planType;
    const refusal = codexRefusal(limits, outcome.status === 429 ? outcome.body : undefined, nowSeconds);
    const hint = {
      ...(refusal.resetAt === undefined ? {} : { resetAtMs: refusal.resetAt * 1000 }),
      ...(refusal.retryAfterSeconds === undefined ? {} : { retryAfterMs: refusal.retryAfterSeconds * 1000 }),
    };
    this.#usage.applyOutcome(outcome.status, { isRejected: refusal.isRejected, hint }, nowMs);
    if (outcome.status === 429) this.#options.logger.warn({ retryAt: new Date(this.#usage.cooldown.untilMs).toISOString() }, 'rate limited');
    this.#tracker.check();
  }

  recoverAuth(status: number): Promise<boolean> {
    return this.#tokens.recover(status);
  }

  /** Polls usage now (also what the background timer runs); never throws. */
  stats(): CredentialStats {
    return { refreshes: this.#tokens.refreshes, refreshFailures: this.#tokens.refreshFailures, pollFailures: this.#poller.failuresTotal };
  }

  pollUsage(): Promise<void> {
    return this.#poller.pollNow();
  }

  persistentState(): PersistedCredentialState {
    return { ...this.#usage.persist(), refreshRetryAtMs: this.#tokens.refreshRetryAtMs() };
  }

  /** Tolerant of garbage; call before or after start(). */
  restoreState(state: unknown): void {
    const nowMs = this.#options.clock.now();
    this.#usage.restore(state, nowMs);
    if (state !== null && typeof state === 'object') {
      const retryAt = (state as Record<string, unknown>)['refreshRetryAtMs'];
      if (typeof retryAt === 'number' && Number.isFinite(retryAt)) this.#tokens.restoreRefreshBlock(retryAt, nowMs);
    }
    this.#tracker.check();
  }

  onChange(listener: () => void): () => void {
    return this.#tracker.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller.close();
    this.#tokens.close();
    this.#tracker.close();
    this.#agent.destroy();
  }

  async #pollOnce(): ReturnType<typeof pollCodexAccount> {
    const result = await pollCodexAccount({
      tokens: this.#tokens,
      usageUrl: this.#options.usageUrl ?? DEFAULT_CODEX_USAGE_URL,
      clock: this.#options.clock,
      logger: this.#options.logger,
      failures: this.#poller.consecutiveFailures,
      onUsage: (usage) => {
        if (usage.planType !== undefined) this.#reportedPlan = usage.planType;
        this.#usage.applyPoll(usage, this.#options, this.#options.clock.now());
      },
    });
    this.#tracker.check();
    return result;
  }

  #onTokensChanged(): void {
    const hasDocument = this.#tokens.document !== undefined;
    // A file that (re)appears is polled soon, as at start.
    if (hasDocument && !this.#hadDocument && this.#options.pollUsage !== false && !this.#closed) this.#poller.kick();
    this.#hadDocument = hasDocument;
    this.#tracker.check();
  }
}
