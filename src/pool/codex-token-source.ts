/**
 * The tokens of one Codex `auth.json`: loading and watching the file, and refreshing as Codex
 * does (SPEC §6, UPSTREAM-FACTS §4.7) — when `last_refresh` is 8 days old or the access token's
 * `exp` passed, single flight, under `<file>.lock`. Mirrors claude-token-source.ts; what differs
 * is the file, the refresh rule and the 401 recovery (no revoked-403 case).
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import { codexNeedsRefresh, isCodexTokenExpired, type CodexAuthDocument } from '../upstream/index.ts';
import { readCodexAuth, refreshCodexUnderLock, type CodexRefreshContext } from './codex-refresh.ts';
import type { FileLockOptions } from './file-lock.ts';
import { watchFile, type FileWatch } from './file-watch.ts';
import { LONGEST_TOKEN_BLOCK_MS, type RefreshProblem } from './refresh-problem.ts';

export interface CodexTokenSourceOptions {
  path: string;
  oauthUrl: string;
  clock: Clock;
  logger: Logger;
  /** What to lock while refreshing; default the file itself, i.e. `<file>.lock`. */
  lockTarget?: string | undefined;
  lockOptions?: FileLockOptions | undefined;
  /** Called whenever the token or the availability changes. */
  onChange: () => void;
}

/** A token that changed this recently was most likely what a failing in-flight request lacked. */
const RECENT_TOKEN_CHANGE_MS = 10_000;
/** While the file is missing or broken, a request may re-read it at most this often. */
const RELOAD_RETRY_MS = 2000;

export class CodexTokenSource {
  /** Refresh attempts that left a working token (ours or another process's), and those that did not. */
  refreshes = 0;
  refreshFailures = 0;
  readonly #options: CodexTokenSourceOptions;
  readonly #context: CodexRefreshContext;
  #document: CodexAuthDocument | undefined;
  #fileProblem = 'auth file not loaded yet';
  #problem: RefreshProblem | undefined;
  #refreshing: Promise<void> | undefined;
  /** Bumped by every write of ours, so a reload that raced with it is dropped. */
  #writes = 0;
  #lastReloadMs = Number.NEGATIVE_INFINITY;
  #lastTokenChangeMs = Number.NEGATIVE_INFINITY;
  #watch: FileWatch | undefined;
  #closed = false;

  constructor(options: CodexTokenSourceOptions) {
    this.#options = options;
    this.#context = {
      path: options.path,
      oauthUrl: options.oauthUrl,
      lockTarget: options.lockTarget ?? resolve(options.path),
      lockOptions: options.lockOptions ?? {},
      clock: options.clock,
      logger: options.logger,
      adopt: (document) => this.#adopt(document),
      wrote: () => {
        this.#writes += 1;
      },
    };
  }

  get document(): CodexAuthDocument | undefined {
    return this.#document;
  }

  async start(): Promise<void> {
    await this.reload();
    this.#watch = watchFile(this.#options.path, () => void this.reload());
  }

  async reload(): Promise<void> {
    if (this.#closed) return;
    this.#lastReloadMs = this.#options.clock.now();
    const writesBefore = this.#writes;
    const result = await readCodexAuth(this.#options.path);
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
    // A failed 8-day refresh does not matter while the access token itself is still valid.
    return problem.isFatal || isCodexTokenExpired(document.tokens, nowMs) ? problem.reason : undefined;
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
      refreshToken: this.#document?.tokens.refreshToken,
    };
  }

  /** The access token to use now, refreshed first when Codex would refresh it. */
  async accessToken(): Promise<string> {
    const { clock } = this.#options;
    if (this.#document === undefined && clock.now() - this.#lastReloadMs >= RELOAD_RETRY_MS) await this.reload();
    const document = this.#document;
    if (document === undefined) throw new Error(this.#fileProblem);
    if (codexNeedsRefresh(document.tokens, document.lastRefreshMs, clock.now()) && document.tokens.refreshToken !== undefined) {
      await this.#refreshOnce(false, document.tokens.accessToken);
    }
    const current = this.#document;
    if (current === undefined) throw new Error(this.#fileProblem);
    const reason = this.unavailableReason(clock.now());
    if (reason !== undefined) throw new Error(reason);
    return current.tokens.accessToken;
  }

  /**
   * After a 401: what Codex does (UPSTREAM-FACTS §4.7) — re-read auth.json first (Codex CLI may
   * have refreshed it), and only when that brings no other token, refresh. True iff a different
   * token is now in place.
   */
  async recover(status: number): Promise<boolean> {
    if (status !== 401) return false;
    const before = this.#document;
    if (before === undefined) return false;
    if (this.#options.clock.now() - this.#lastTokenChangeMs < RECENT_TOKEN_CHANGE_MS) return true;
    await this.reload();
    const document = this.#document;
    if (document === undefined) return false;
    if (document.tokens.accessToken !== before.tokens.accessToken) {
      if (document.tokens.accountId !== before.tokens.accountId) {
        this.#options.logger.info({ path: this.#options.path }, 'auth.json now holds another ChatGPT account; using it');
      }
      // Someone else's token may itself be due for refresh; a retry with it must not fail again.
      const token = await this.accessToken().catch(() => undefined);
      return token !== undefined && token !== before.tokens.accessToken;
    }
    if (document.tokens.refreshToken === undefined) {
      this.#problem = {
        kind: 'rejected',
        reason: `access token rejected (${status}) and auth.json has no refresh token; log in again with Codex (codex login)`,
        retryAtMs: this.#options.clock.now() + 60_000,
        isFatal: true,
        refreshToken: undefined,
        accessToken: document.tokens.accessToken,
      };
      this.#options.onChange();
      return false;
    }
    await this.#refreshOnce(true, document.tokens.accessToken);
    return this.#document !== undefined && this.#document.tokens.accessToken !== before.tokens.accessToken;
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
    const outcome = await refreshCodexUnderLock(this.#context, { force, staleToken, problem: previous }).catch(
      (error: unknown): { problem: RefreshProblem | undefined; fileProblem?: string } => ({
        problem: {
          kind: 'failed',
          reason: `token refresh failed (${errorMessage(error)})`,
          retryAtMs: this.#options.clock.now() + 5000,
          isFatal: false,
          refreshToken: this.#document?.tokens.refreshToken,
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
  #adopt(document: CodexAuthDocument): void {
    const previous = this.#document;
    this.#document = document;
    const tokenChanged = previous?.tokens.accessToken !== document.tokens.accessToken;
    // The first load is no swap: a 401 right after start must still lead to a refresh.
    if (tokenChanged && previous !== undefined) this.#lastTokenChangeMs = this.#options.clock.now();
    // A new login (or Codex CLI's own refresh) clears whatever blocked refreshing the old one.
    const problem = this.#problem;
    const isNewLogin =
      (problem?.refreshToken !== undefined && problem.refreshToken !== document.tokens.refreshToken) || (problem?.accessToken !== undefined && tokenChanged);
    if (isNewLogin) this.#problem = undefined;
    if (previous === undefined) this.#options.logger.info({ path: this.#options.path }, 'auth file loaded');
    if (previous === undefined || tokenChanged || problem !== this.#problem || previous.tokens.planType !== document.tokens.planType) {
      this.#options.onChange();
    }
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
