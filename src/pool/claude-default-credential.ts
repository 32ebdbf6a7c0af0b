/**
 * A Claude subscription held in this node's own credential file. It stays `unavailable` (never
 * crashing the node) while the file is missing or broken, and picks the file up when it appears.
 */
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Agent } from 'node:http';
import { errorMessage, toUnixSeconds, type Clock } from '../lib/index.ts';
import type { Logger } from 'pino';
import type { CredentialSnapshot, WindowUsage } from '../status/index.ts';
import {
  claudePlanWeight,
  parseClaudeCredentialFile,
  parseUnifiedHeaders,
  type ClaudeCredentialDocument,
} from '../upstream/index.ts';
import { cooldownAfterRateLimit, isCoolingDown, NO_COOLDOWN, type Cooldown } from './cooldown.ts';
import { CredentialUnavailableError, type Credential, type UpstreamOutcome, type UpstreamTarget } from './credential.ts';
import { watchFile, type FileWatch } from './file-watch.ts';
import { ChangeSignal } from './change-signal.ts';

export interface ClaudeDefaultCredentialOptions {
  tag: string;
  path: string;
  apiUrl: string;
  /** Usable up to these percents (SPEC §2 caps). */
  cap5h: number;
  capWeekly: number;
  clock: Clock;
  logger: Logger;
}

const EMPTY_WINDOW: WindowUsage = { utilization: 0, resetAt: 0 };

export class ClaudeDefaultCredential implements Credential {
  readonly tag: string;
  readonly type = 'default' as const;
  readonly provider = 'claude' as const;
  readonly #options: ClaudeDefaultCredentialOptions;
  readonly #agent: Agent;
  readonly #changes = new ChangeSignal();
  #document: ClaudeCredentialDocument | undefined;
  #unavailableReason = 'credential file not loaded yet';
  #fiveHour: WindowUsage = EMPTY_WINDOW;
  #weekly: WindowUsage = EMPTY_WINDOW;
  #hasData = false;
  #cooldown: Cooldown = NO_COOLDOWN;
  #watch: FileWatch | undefined;
  #closed = false;

  constructor(options: ClaudeDefaultCredentialOptions) {
    this.tag = options.tag;
    this.#options = options;
    const agentOptions = { keepAlive: true, maxSockets: 256 };
    this.#agent = options.apiUrl.startsWith('https:') ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Loads the file now and keeps watching it. */
  async start(): Promise<void> {
    await this.reload();
    this.#watch = watchFile(this.#options.path, () => void this.reload());
  }

  async reload(): Promise<void> {
    if (this.#closed) return;
    let text: string;
    try {
      text = await readFile(this.#options.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return this.#setUnavailable(code === 'ENOENT' ? 'credential file does not exist' : `cannot read credential file (${errorMessage(error)})`);
    }
    const parsed = parseClaudeCredentialFile(text);
    if ('error' in parsed) return this.#setUnavailable(`credential file is invalid: ${parsed.error}`);
    const wasUnavailable = this.#document === undefined;
    const tokenChanged = this.#document?.oauth.accessToken !== parsed.oauth.accessToken;
    this.#document = parsed;
    if (wasUnavailable) this.#options.logger.info({ credential: this.tag }, 'credential file loaded');
    if (wasUnavailable || tokenChanged) this.#changes.emit();
  }

  #setUnavailable(reason: string): void {
    const changed = this.#document !== undefined || this.#unavailableReason !== reason;
    this.#document = undefined;
    this.#unavailableReason = reason;
    if (changed) {
      this.#options.logger.warn({ credential: this.tag, path: this.#options.path, reason }, 'credential unavailable');
      this.#changes.emit();
    }
  }

  get planWeight(): number {
    const oauth = this.#document?.oauth;
    return claudePlanWeight(oauth?.subscriptionType, oauth?.rateLimitTier);
  }

  isUsable(nowMs: number): boolean {
    if (this.#document === undefined || isCoolingDown(this.#cooldown, nowMs)) return false;
    return this.#fiveHour.utilization < this.#options.cap5h && this.#weekly.utilization < this.#options.capWeekly;
  }

  snapshot(nowMs: number): CredentialSnapshot {
    const coolingDown = isCoolingDown(this.#cooldown, nowMs);
    return {
      tag: this.tag,
      type: 'default',
      state: this.#document === undefined ? 'unavailable' : coolingDown ? 'rate_limited' : 'usable',
      retryAt: coolingDown ? Math.ceil(this.#cooldown.untilMs / 1000) : 0,
      hasData: this.#hasData,
      fiveHour: this.#fiveHour,
      weekly: this.#weekly,
      planWeight: this.planWeight,
      cap5h: this.#options.cap5h,
      capWeekly: this.#options.capWeekly,
      peer: null,
    };
  }

  async target(): Promise<UpstreamTarget> {
    const document = this.#document;
    if (document === undefined) throw new CredentialUnavailableError(this.tag, this.#unavailableReason);
    return {
      baseUrl: this.#options.apiUrl,
      headers: { authorization: `Bearer ${document.oauth.accessToken}` },
      agent: this.#agent,
    };
  }

  observe(outcome: UpstreamOutcome, nowMs: number): void {
    const nowSeconds = toUnixSeconds(nowMs);
    const limits = parseUnifiedHeaders(outcome.headers, nowSeconds);
    let changed = false;
    if (limits?.fiveHour) changed = this.#setWindow('fiveHour', limits.fiveHour) || changed;
    if (limits?.weekly) changed = this.#setWindow('weekly', limits.weekly) || changed;
    if (limits?.fiveHour || limits?.weekly) this.#hasData = true;
    if (outcome.status === 429) {
      const rejectedReset = limits?.status === 'rejected' && limits.resetAt !== undefined ? limits.resetAt * 1000 : undefined;
      this.#cooldown = cooldownAfterRateLimit(
        this.#cooldown,
        { resetAtMs: rejectedReset, retryAfterMs: limits?.retryAfterSeconds !== undefined ? limits.retryAfterSeconds * 1000 : undefined },
        nowMs,
      );
      this.#options.logger.warn({ credential: this.tag, retryAt: new Date(this.#cooldown.untilMs).toISOString() }, 'rate limited');
      changed = true;
    } else if (outcome.status >= 200 && outcome.status < 300 && this.#cooldown !== NO_COOLDOWN) {
      // A success is fresh evidence: whatever benched this credential is over.
      this.#cooldown = NO_COOLDOWN;
      changed = true;
    }
    if (changed) this.#changes.emit();
  }

  #setWindow(window: 'fiveHour' | 'weekly', next: WindowUsage): boolean {
    const previous = window === 'fiveHour' ? this.#fiveHour : this.#weekly;
    if (previous.utilization === next.utilization && previous.resetAt === next.resetAt) return false;
    if (window === 'fiveHour') this.#fiveHour = next;
    else this.#weekly = next;
    return true;
  }

  onChange(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.close();
    this.#agent.destroy();
    this.#changes.clear();
  }
}
