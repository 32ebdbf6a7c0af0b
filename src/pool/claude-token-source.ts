/**
 * The tokens of one Claude credential file: loading and watching the file, and refreshing the
 * access token exactly as SPEC §6 says — single flight, under Claude Code's lock, re-reading the
 * file first, refusing to refresh what could not be saved. State about the account's capacity
 * lives elsewhere (usage-state.ts); this file only answers "which token, and is there one".
 */
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import {
  canRefresh,
  isExpired,
  isRevokedMessage,
  needsRefresh,
  type ClaudeCredentialDocument,
} from '../upstream/index.ts';
import { LONGEST_TOKEN_BLOCK_MS, readCredentialFile, refreshUnderLock, type RefreshContext, type RefreshProblem } from './claude-refresh.ts';
import { claudeLockTarget, type FileLockOptions } from './file-lock.ts';
import { watchFile, type FileWatch } from './file-watch.ts';

export interface ClaudeTokenSourceOptions {
  path: string;
  oauthUrl: string;
  clock: Clock;
  logger: Logger;
  /** What to lock while refreshing (default: Claude Code's choice, see claudeLockTarget). */
  lockTarget?: string | undefined;
  lockOptions?: FileLockOptions | undefined;
  /** Called whenever the token or the availability changes. */
  onChange: () => void;
}

/** A token that changed this recently was most likely what a failing in-flight request lacked. */
const RECENT_TOKEN_CHANGE_MS = 10_000;
/** While the file is missing or broken, a request may re-read it at most this often (REFERENCE §5.8). */
const RELOAD_RETRY_MS = 2000;

export class ClaudeTokenSource {
  /** Refresh attempts that left a working token (ours or another process's), and those that did not. */
  refreshes = 0;
  refreshFailures = 0;
  readonly #options: ClaudeTokenSourceOptions;
  readonly #context: RefreshContext;
  #document: ClaudeCredentialDocument | undefined;
  #fileProblem = 'credential file not loaded yet';
  #problem: RefreshProblem | undefined;
  #refreshing: Promise<void> | undefined;
  /** Bumped by every write of ours, so a reload that raced with it is dropped. */
  #writes = 0;
  #lastReloadMs = Number.NEGATIVE_INFINITY;
  #lastTokenChangeMs = Number.NEGATIVE_INFINITY;
  #watch: FileWatch | undefined;
  #closed = false;

  constructor(options: ClaudeTokenSourceOptions) {
    this.#options = options;
    this.#context = {
      path: options.path,
      oauthUrl: options.oauthUrl,
      lockTarget: options.lockTarget ?? claudeLockTarget(options.path),
      lockOptions: options.lockOptions ?? {},
      clock: options.clock,
      logger: options.logger,
      adopt: (document) => this.#adopt(document),
      wrote: () => {
        this.#writes += 1;
      },
    };
  }

  get document(): ClaudeCredentialDocument | undefined {
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
    const result = await readCredentialFile(this.#options.path);
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
    // A refresh that failed for a while does not matter until the token has really expired.
    return problem.isFatal || isExpired(document.oauth, nowMs) ? problem.reason : undefined;
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
      refreshToken: this.#document?.oauth.refreshToken,
    };
  }

  /** The access token to use now, refreshed first when it is within 5 min of expiry. */
  async accessToken(): Promise<string> {
    const { clock } = this.#options;
    if (this.#document === undefined && clock.now() - this.#lastReloadMs >= RELOAD_RETRY_MS) await this.reload();
    const document = this.#document;
    if (document === undefined) throw new Error(this.#fileProblem);
    if (needsRefresh(document.oauth, clock.now()) && canRefresh(document.oauth)) {
      await this.#refreshOnce(false, document.oauth.accessToken);
    }
    const current = this.#document;
    if (current === undefined) throw new Error(this.#fileProblem);
    const reason = this.unavailableReason(clock.now());
    if (reason !== undefined) throw new Error(reason);
    return current.oauth.accessToken;
  }

  /**
   * After a 401 or a revoked-token 403: a token from the file, else a forced refresh. True iff a
   * different token is now in place (REFERENCE §5.1, fixes 084a6f13 and e7478ce9).
   */
  async recover(status: number, body: string): Promise<boolean> {
    if (status !== 401 && !(status === 403 && isRevokedMessage(body))) return false;
    const before = this.#document?.oauth.accessToken;
    if (before === undefined) return false;
    if (this.#options.clock.now() - this.#lastTokenChangeMs < RECENT_TOKEN_CHANGE_MS) return true;
    await this.reload();
    const document = this.#document;
    if (document === undefined) return false;
    if (document.oauth.accessToken !== before) {
      // Someone else's token may itself be due for refresh; a retry with it must not fail again.
      const token = await this.accessToken().catch(() => undefined);
      return token !== undefined && token !== before;
    }
    if (!canRefresh(document.oauth)) {
      this.#problem = {
        kind: 'rejected',
        reason: `access token rejected (${status}) and it cannot be refreshed; create a new token (claude setup-token)`,
        retryAtMs: this.#options.clock.now() + 60_000,
        isFatal: true,
        refreshToken: undefined,
        accessToken: before,
      };
      this.#options.onChange();
      return false;
    }
    await this.#refreshOnce(true, before);
    return this.#document !== undefined && this.#document.oauth.accessToken !== before;
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
      (error: unknown): { problem: RefreshProblem | undefined; fileProblem?: string } => ({
        problem: {
          kind: 'failed',
          reason: `token refresh failed (${errorMessage(error)})`,
          retryAtMs: this.#options.clock.now() + 5000,
          isFatal: false,
          refreshToken: this.#document?.oauth.refreshToken,
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
  #adopt(document: ClaudeCredentialDocument): void {
    const previous = this.#document;
    this.#document = document;
    const tokenChanged = previous?.oauth.accessToken !== document.oauth.accessToken;
    // The first load is no swap: a 401 right after start must still lead to a refresh.
    if (tokenChanged && previous !== undefined) this.#lastTokenChangeMs = this.#options.clock.now();
    // A new login (or another process's refresh) clears whatever blocked refreshing the old one.
    const problem = this.#problem;
    // A block restored before the file was read names no refresh token and simply runs out.
    const isNewLogin =
      (problem?.refreshToken !== undefined && problem.refreshToken !== document.oauth.refreshToken) || (problem?.accessToken !== undefined && tokenChanged);
    if (isNewLogin) this.#problem = undefined;
    if (previous === undefined) this.#options.logger.info({ path: this.#options.path }, 'credential file loaded');
    if (previous === undefined || tokenChanged || problem !== this.#problem) this.#options.onChange();
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
