/**
 * A subscription held in this node's own credential file, whatever the provider. It stays
 * `unavailable` (never crashing the node) while the file is missing or broken, and picks the
 * file up when it appears. Tokens: token-source.ts; capacity: usage-state.ts; polling:
 * usage-poller.ts. A provider adds only what differs: its plan weight, its auth headers, how it
 * reads a response, and how it polls the account (claude-/codex-default-credential.ts).
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import type { CredentialSnapshot, Provider } from '../status/index.ts';
import { abortable } from './abortable.ts';
import { ChangeTracker } from './change-tracker.ts';
import {
  CredentialUnavailableError,
  type Credential,
  type CredentialStats,
  type UpstreamOutcome,
  type UpstreamTarget,
} from './credential.ts';
import type { FileLockOptions } from './file-lock.ts';
import type { TokenFormat } from './token-format.ts';
import { TokenSource } from './token-source.ts';
import { refusalMessage } from './refusal-message.ts';
import { UsageState, type PersistedUsageState } from './usage-state.ts';
import { DEFAULT_POLL_TIMINGS, UsagePoller, type PollResult, type UsagePollTimings } from './usage-poller.ts';

export interface DefaultCredentialOptions {
  tag: string;
  /** The provider's credential file. */
  path: string;
  /** Where requests go; the client's path is appended. */
  apiUrl: string;
  /** The token endpoint; default the provider's own. */
  oauthUrl?: string;
  /** Usable up to these percents (CONFIG.md › Caps: reserve and limit). */
  cap5h: number;
  capWeekly: number;
  /** `max_concurrent` (CONFIG.md › Credentials); undefined for no cap. */
  maxConcurrent?: number;
  clock: Clock;
  logger: Logger;
  /** Background usage polling (default on); tests may turn it off or shorten its timings. */
  pollUsage?: boolean;
  pollTimings?: Partial<UsagePollTimings>;
  /** Refresh lock overrides (default: the provider's own lock and timings). */
  lockTarget?: string;
  lockOptions?: FileLockOptions;
}

/** `persistentState()`: the usage state plus a token-endpoint 429 block (epoch ms, 0 = none). */
export interface PersistedCredentialState extends PersistedUsageState {
  refreshRetryAtMs: number;
}

export abstract class DefaultCredential<Document> implements Credential {
  readonly tag: string;
  readonly type = 'default' as const;
  abstract readonly provider: Provider;
  protected readonly options: DefaultCredentialOptions;
  protected readonly tokens: TokenSource<Document>;
  protected readonly usage = new UsageState();
  readonly #agent: Agent;
  readonly #poller: UsagePoller;
  #changeTracker: ChangeTracker | undefined;
  #hadDocument = false;
  #closed = false;

  constructor(options: DefaultCredentialOptions, format: TokenFormat<Document>, defaultOauthUrl: string) {
    this.tag = options.tag;
    this.options = options;
    // No socket cap in the agent: its queue is silent (request 257 of one account waited minutes
    // with no headers and no error, issue 15). The pool's slots (`max_concurrent`) bound what is
    // sent, and a request over them waits in a line that ends in an answer.
    const agentOptions = { keepAlive: true, maxSockets: Infinity };
    this.#agent = options.apiUrl.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.tokens = new TokenSource({
      format,
      path: options.path,
      oauthUrl: options.oauthUrl ?? defaultOauthUrl,
      clock: options.clock,
      logger: options.logger,
      lockTarget: options.lockTarget,
      lockOptions: options.lockOptions,
      onChange: () => this.#onTokensChanged(),
    });
    this.#poller = new UsagePoller({
      clock: options.clock,
      run: () => this.#pollOnce(),
      lastUpdatedMs: () => this.usage.lastUpdatedMs,
      timings: { ...DEFAULT_POLL_TIMINGS, ...options.pollTimings },
    });
  }

  abstract get planWeight(): number;

  get maxConcurrent(): number | undefined {
    return this.options.maxConcurrent;
  }

  /** Reads one response (or WebSocket event) into the usage state: the provider's headers. */
  protected abstract learnFrom(outcome: UpstreamOutcome, nowMs: number): void;

  /** One background look at the account; `failures` so far, to quieten the logs. */
  protected abstract pollAccount(failures: number): Promise<PollResult>;

  /** The headers that authenticate a request with `token`. */
  protected authHeaders(token: string): Record<string, string> {
    return { authorization: `Bearer ${token}` };
  }

  /** Loads the file now, keeps watching it, and schedules the first usage poll. */
  async start(): Promise<void> {
    await this.tokens.start();
    if (this.options.pollUsage !== false) this.#poller.kick();
  }

  reload(): Promise<void> {
    return this.tokens.reload();
  }

  /** On every pick, so it avoids building the reason text. */
  isUsable(nowMs: number): boolean {
    return (
      this.tokens.unavailableReason(nowMs) === undefined &&
      !this.usage.isCoolingDown(nowMs) &&
      this.usage.cappedUntil(this.options, nowMs) === undefined
    );
  }

  /** Why this credential cannot take a request now, or which models it refuses (for logs, admin rows). */
  reason(nowMs: number): string | undefined {
    return this.tokens.unavailableReason(nowMs) ?? this.usage.blockReason(this.options, nowMs) ?? this.usage.modelBlockReason(nowMs);
  }

  isModelBlocked(model: string, nowMs: number): boolean {
    return this.usage.isModelBlocked(this.modelFamily(model), nowMs);
  }

  /** The family whose limits `model` shares (Claude: opus, sonnet); by default the model itself. */
  protected modelFamily(model: string): string {
    return model.toLowerCase().slice(0, 128);
  }

  snapshot(nowMs: number): CredentialSnapshot {
    const isUnavailable = this.tokens.unavailableReason(nowMs) !== undefined;
    const isCooling = this.usage.isCoolingDown(nowMs);
    // A bench after 5xx/529/transport errors says the upstream is unreachable for a moment, not
    // that the account is spent: clients should hear 503, not a rate limit.
    // So is an account the vendor refuses outright: it is out, not spent.
    const isErrorCooldown = isCooling && (this.usage.cooldown.cause === 'upstream_error' || this.usage.cooldown.cause === 'refused');
    const cappedUntil = this.usage.cappedUntil(this.options, nowMs);
    // A window at its cap is a rate limit with a known end, as far as clients are concerned.
    const retryAt = isCooling ? Math.ceil(this.usage.cooldown.untilMs / 1000) : (cappedUntil ?? 0);
    return {
      tag: this.tag,
      type: 'default',
      state: isUnavailable || isErrorCooldown ? 'unavailable' : isCooling || cappedUntil !== undefined ? 'rate_limited' : 'usable',
      retryAt: isUnavailable ? 0 : retryAt,
      hasData: this.usage.hasData,
      fiveHour: { ...this.usage.fiveHour },
      weekly: { ...this.usage.weekly },
      planWeight: this.planWeight,
      cap5h: this.options.cap5h,
      capWeekly: this.options.capWeekly,
      peer: null,
      modelLimits: this.usage.modelBlocks.list(nowMs),
    };
  }

  async target(signal?: AbortSignal): Promise<UpstreamTarget> {
    let token: string;
    try {
      token = await abortable(this.tokens.accessToken(), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new CredentialUnavailableError(this.tag, errorMessage(error));
    }
    return { baseUrl: this.options.apiUrl, headers: this.authHeaders(token), agent: this.#agent };
  }

  observe(outcome: UpstreamOutcome, nowMs: number): void {
    this.learnFrom(outcome, nowMs);
    const scope = outcome.scope ?? 'account';
    if (scope === 'disabled') {
      const reason = refusalMessage(outcome.body) ?? `HTTP ${outcome.status}`;
      this.usage.refuse(reason, nowMs);
      this.options.logger.warn(
        { status: outcome.status, reason, retryAt: new Date(this.usage.cooldown.untilMs).toISOString() },
        'the vendor refuses this account; taken out',
      );
    } else if (outcome.status === 429 && scope === 'account') {
      this.options.logger.warn({ retryAt: new Date(this.usage.cooldown.untilMs).toISOString() }, 'rate limited');
    }
    this.#tracker.check();
  }

  /** Claude also recovers from a revoked-token 403, which only its body tells apart. */
  recoverAuth(status: number, body = ''): Promise<boolean> {
    return this.tokens.recover(status, body);
  }

  stats(): CredentialStats {
    return { refreshes: this.tokens.refreshes, refreshFailures: this.tokens.refreshFailures, pollFailures: this.#poller.failuresTotal };
  }

  /** Polls usage now (also what the background timer runs); never throws. */
  pollUsage(): Promise<PollResult> {
    return this.#poller.pollNow();
  }

  resetCooldown(): void {
    this.usage.resetCooldown();
    this.#tracker.check();
  }

  persistentState(): PersistedCredentialState {
    return { ...this.usage.persist(), refreshRetryAtMs: this.tokens.refreshRetryAtMs() };
  }

  /** Tolerant of garbage; call before or after start(). */
  restoreState(state: unknown): void {
    const nowMs = this.options.clock.now();
    this.usage.restore(state, nowMs);
    if (state !== null && typeof state === 'object') {
      const retryAt = (state as Record<string, unknown>)['refreshRetryAtMs'];
      if (typeof retryAt === 'number' && Number.isFinite(retryAt)) this.tokens.restoreRefreshBlock(retryAt, nowMs);
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
    this.tokens.close();
    this.#tracker.close();
    this.#agent.destroy();
  }

  /**
   * Made on first use, not in the constructor: its first key reads the subclass's state (the
   * plan weight), which does not exist yet while this constructor runs. Until then nobody could
   * have subscribed, so no change can have gone unannounced.
   */
  get #tracker(): ChangeTracker {
    this.#changeTracker ??= new ChangeTracker({
      clock: this.options.clock,
      key: (nowMs) => JSON.stringify([this.snapshot(nowMs), this.reason(nowMs)]),
      nextWakeMs: (nowMs) => this.usage.nextChangeMs(this.options, nowMs),
    });
    return this.#changeTracker;
  }

  async #pollOnce(): Promise<PollResult> {
    const result = await this.pollAccount(this.#poller.consecutiveFailures);
    this.#tracker.check();
    return result;
  }

  #onTokensChanged(): void {
    const hasDocument = this.tokens.document !== undefined;
    // A file that (re)appears is polled soon, as at start.
    if (hasDocument && !this.#hadDocument && this.options.pollUsage !== false && !this.#closed) this.#poller.kick();
    this.#hadDocument = hasDocument;
    this.#tracker.check();
  }
}
