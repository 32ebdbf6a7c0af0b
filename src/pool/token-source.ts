/**
 * The tokens of one credential file: loading and watching the file, and refreshing the access
 * token as SECURITY.md › Tokens promises — single flight, under the provider's lock, re-reading the file
 * first, refusing to refresh what could not be saved. The same for Claude and Codex; what
 * differs (file, refresh rule, recoverable refusals, messages) is the format's. State about the
 * account's capacity lives elsewhere (usage-state.ts); this file only answers "which token, and
 * is there one".
 */
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import type { FileLockOptions } from './file-lock.ts';
import { watchFile, type FileWatch } from './file-watch.ts';
import { readTokenFile, refreshUnderLock, type RefreshContext, type RefreshOutcome } from './refresh-under-lock.ts';
import { LONGEST_TOKEN_BLOCK_MS, type RefreshProblem } from './refresh-problem.ts';
import type { TokenFormat } from './token-format.ts';

export interface TokenSourceOptions<Document> {
  format: TokenFormat<Document>;
  path: string;
  oauthUrl: string;
  clock: Clock;
  logger: Logger;
  /** What to lock while refreshing (default: what the provider's own client locks). */
  lockTarget?: string | undefined;
  lockOptions?: FileLockOptions | undefined;
  /** Called whenever the token or the availability changes. */
  onChange: () => void;
}

/** A token that changed this recently was most likely what a failing in-flight request lacked. */
const RECENT_TOKEN_CHANGE_MS = 10_000;
/** While the file is missing or broken, a request may re-read it this often (a watch can miss a new file). */
const RELOAD_RETRY_MS = 2000;

export class TokenSource<Document> {
  /** Refresh attempts that left a working token (ours or another process's), and those that did not. */
  refreshes = 0;
  refreshFailures = 0;
  readonly #options: TokenSourceOptions<Document>;
  readonly #format: TokenFormat<Document>;
  readonly #context: RefreshContext<Document>;
  #document: Document | undefined;
  #fileProblem: string;
  #problem: RefreshProblem | undefined;
  #refreshing: Promise<void> | undefined;
  /** Bumped by every write of ours, so a reload that raced with it is dropped. */
  #writes = 0;
  #lastReloadMs = Number.NEGATIVE_INFINITY;
  #lastTokenChangeMs = Number.NEGATIVE_INFINITY;
  #watch: FileWatch | undefined;
  #closed = false;

  constructor(options: TokenSourceOptions<Document>) {
    this.#options = options;
    this.#format = options.format;
    this.#fileProblem = `${options.format.messages.file} not loaded yet`;
    this.#context = {
      format: options.format,
      path: options.path,
      oauthUrl: options.oauthUrl,
      lockTarget: options.lockTarget ?? options.format.defaultLockTarget(options.path),
      lockOptions: options.lockOptions ?? {},
      clock: options.clock,
      logger: options.logger,
      adopt: (document) => this.#adopt(document),
      wrote: () => {
        this.#writes += 1;
      },
    };
  }

  get document(): Document | undefined {
    return this.#document;
  }

  /** The access token in hand, without refreshing (a retry right after recover()). */
  get currentAccessToken(): string | undefined {
    return this.#document === undefined ? undefined : this.#format.accessToken(this.#document);
  }

  async start(): Promise<void> {
    await this.reload();
    this.#watch = watchFile(this.#options.path, () => void this.reload());
  }

  async reload(): Promise<void> {
    if (this.#closed) return;
    this.#lastReloadMs = this.#options.clock.now();
    const writesBefore = this.#writes;
    const result = await readTokenFile(this.#options.path, this.#format);
    // Our own write landed while we read: this result may be older than what we hold.
    if (this.#closed || writesBefore !== this.#writes) return;
    if ('problem' in result) return this.#setFileProblem(result.problem);
    this.#adopt(result.document);
  }

  /** Why no request can be served right now, or undefined when one can. */
  unavailableReason(nowMs: number): string | undefined {
    const document = this.#document;
    if (document === undefined) return this.#fileProblem;
    const problem = this.#problem;
    if (problem === undefined || nowMs >= problem.retryAtMs) return undefined;
    // A failed early refresh (Claude's 5-min buffer, Codex's 8-day rule) does not matter until
    // the access token itself has expired.
    return problem.isFatal || this.#format.isExpired(document, nowMs) ? problem.reason : undefined;
  }

  /** The refresh block the node should remember across a restart (token endpoint 429 only). */
  refreshRetryAtMs(): number {
    return this.#problem?.kind === 'rate_limited' ? this.#problem.retryAtMs : 0;
  }

  restoreRefreshBlock(savedRetryAtMs: number, nowMs: number): void {
    if (savedRetryAtMs <= nowMs || this.#problem !== undefined) return;
    const retryAtMs = Math.min(savedRetryAtMs, nowMs + LONGEST_TOKEN_BLOCK_MS);
    this.#problem = {
      kind: 'rate_limited',
      reason: `token refresh rate-limited until ${new Date(retryAtMs).toISOString()} (remembered across restart)`,
      retryAtMs,
      isFatal: false,
      refreshToken: this.#refreshTokenInHand(),
    };
  }

  /** The access token to use now, refreshed first when the provider's own client would refresh it. */
  async accessToken(): Promise<string> {
    const { clock } = this.#options;
    const format = this.#format;
    if (this.#document === undefined && clock.now() - this.#lastReloadMs >= RELOAD_RETRY_MS) await this.reload();
    const document = this.#document;
    if (document === undefined) throw new Error(this.#fileProblem);
    if (format.needsRefresh(document, clock.now()) && format.canRefresh(document)) {
      await this.#refreshOnce(false, format.accessToken(document));
    }
    const current = this.#document;
    if (current === undefined) throw new Error(this.#fileProblem);
    const reason = this.unavailableReason(clock.now());
    if (reason !== undefined) throw new Error(reason);
    return format.accessToken(current);
  }

  /**
   * After a 401 (Claude also: a revoked-token 403): a token from the file — Claude Code or Codex
   * CLI may have refreshed it — else a forced refresh. True iff a different token is now in place
   * (sing-box fixes 084a6f13 and e7478ce9).
   */
  async recover(status: number, body = ''): Promise<boolean> {
    const format = this.#format;
    if (!format.isRecoverable(status, body)) return false;
    const before = this.#document;
    if (before === undefined) return false;
    const staleToken = format.accessToken(before);
    if (this.#options.clock.now() - this.#lastTokenChangeMs < RECENT_TOKEN_CHANGE_MS) return true;
    await this.reload();
    const document = this.#document;
    if (document === undefined) return false;
    if (format.accessToken(document) !== staleToken) {
      const notice = format.swapNotice?.(before, document);
      if (notice !== undefined) this.#options.logger.info({ path: this.#options.path }, notice);
      // Someone else's token may itself be due for refresh; a retry with it must not fail again.
      const token = await this.accessToken().catch(() => undefined);
      return token !== undefined && token !== staleToken;
    }
    if (!format.canRefresh(document)) {
      this.#problem = {
        kind: 'rejected',
        reason: `access token rejected (${status}) and ${format.messages.cannotRefresh}`,
        retryAtMs: this.#options.clock.now() + 60_000,
        isFatal: true,
        refreshToken: undefined,
        accessToken: staleToken,
      };
      this.#options.onChange();
      return false;
    }
    await this.#refreshOnce(true, staleToken);
    const current = this.currentAccessToken;
    return current !== undefined && current !== staleToken;
  }

  close(): void {
    this.#closed = true;
    this.#watch?.close();
  }

  #refreshOnce(force: boolean, staleToken: string): Promise<void> {
    this.#refreshing ??= this.#runRefresh(force, staleToken).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #runRefresh(force: boolean, staleToken: string): Promise<void> {
    const previous = this.#problem;
    const outcome = await refreshUnderLock(this.#context, { force, staleToken, problem: previous }).catch(
      (error: unknown): RefreshOutcome => ({
        problem: {
          kind: 'failed',
          reason: `token refresh failed (${errorMessage(error)})`,
          retryAtMs: this.#options.clock.now() + 5000,
          isFatal: false,
          refreshToken: this.#refreshTokenInHand(),
        },
      }),
    );
    if (outcome.problem === undefined && outcome.fileProblem === undefined) this.refreshes += 1;
    else this.refreshFailures += 1;
    if (outcome.fileProblem !== undefined) return this.#setFileProblem(outcome.fileProblem);
    if (outcome.problem !== previous) {
      this.#problem = outcome.problem;
      if (outcome.problem !== undefined) this.#options.logger.warn({ reason: outcome.problem.reason }, 'token refresh did not succeed');
      this.#options.onChange();
    }
  }

  /** Takes a document from the file or from our own refresh; notifies only on real change. */
  #adopt(document: Document): void {
    const format = this.#format;
    const previous = this.#document;
    this.#document = document;
    const tokenChanged = previous === undefined || format.accessToken(previous) !== format.accessToken(document);
    // The first load is no swap: a 401 right after start must still lead to a refresh.
    if (tokenChanged && previous !== undefined) this.#lastTokenChangeMs = this.#options.clock.now();
    // A new login (or another process's refresh) clears whatever blocked refreshing the old one.
    const problem = this.#problem;
    // A block restored before the file was read names no refresh token and simply runs out.
    const isNewLogin =
      (problem?.refreshToken !== undefined && problem.refreshToken !== format.refreshToken(document)) ||
      (problem?.accessToken !== undefined && tokenChanged);
    if (isNewLogin) this.#problem = undefined;
    if (previous === undefined) this.#options.logger.info({ path: this.#options.path }, `${format.messages.file} loaded`);
    if (previous === undefined || tokenChanged || problem !== this.#problem || format.hasVisibleChange?.(previous, document) === true) {
      this.#options.onChange();
    }
  }

  #refreshTokenInHand(): string | undefined {
    return this.#document === undefined ? undefined : this.#format.refreshToken(this.#document);
  }

  #setFileProblem(reason: string): void {
    const changed = this.#document !== undefined || this.#fileProblem !== reason;
    this.#document = undefined;
    this.#fileProblem = reason;
    if (changed) {
      this.#options.logger.warn({ path: this.#options.path, reason }, 'credential unavailable');
      this.#options.onChange();
    }
  }
}
