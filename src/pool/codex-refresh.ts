/**
 * One Codex refresh attempt, in the order that keeps a single-use refresh token alive (SPEC §6,
 * the same steps as claude-refresh.ts): respect an earlier block, absorb a file Codex CLI already
 * refreshed, take `<file>.lock`, re-read, check the file can be saved, refresh, and save
 * atomically keeping every unknown key with `last_refresh` = now. A result that could not be
 * saved is never requested.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
import {
  codexNeedsRefresh,
  parseCodexAuthFile,
  requestCodexTokenRefresh,
  serializeCodexAuthFile,
  type CodexAuthDocument,
} from '../upstream/index.ts';
import { whyNotWritable, writeFileAtomic } from './atomic-write.ts';
import { acquireFileLock, LockBusyError, type FileLockOptions } from './file-lock.ts';
import {
  failedRetryDelayMs,
  LONGEST_TOKEN_BLOCK_MS,
  REJECTED_RECHECK_MS,
  TOKEN_RATE_LIMIT_DEFAULT_MS,
  UNWRITABLE_RECHECK_MS,
  type RefreshProblem,
} from './refresh-problem.ts';

export interface CodexRefreshContext {
  path: string;
  oauthUrl: string;
  lockTarget: string;
  lockOptions: FileLockOptions;
  clock: Clock;
  logger: Logger;
  /** Makes a document current (from the file or from our refresh). */
  adopt: (document: CodexAuthDocument) => void;
  /** Called right before our own write, so concurrent reloads can tell. */
  wrote: () => void;
}

export interface CodexRefreshRequest {
  /** Refresh even though the token is not due (after a 401). */
  force: boolean;
  /** The token the caller found wanting; a different, fresh one in the file is the answer. */
  staleToken: string;
  problem: RefreshProblem | undefined;
}

export interface CodexRefreshOutcome {
  problem: RefreshProblem | undefined;
  fileProblem?: string;
}

export async function refreshCodexUnderLock(context: CodexRefreshContext, request: CodexRefreshRequest): Promise<CodexRefreshOutcome> {
  const { clock } = context;
  const { problem } = request;
  // Codex CLI may have refreshed (or the user logged in again): that costs no token call.
  const outside = await readCodexAuth(context.path);
  if ('problem' in outside) return { problem, fileProblem: outside.problem };
  if (isFresherThan(outside.document, request.staleToken, clock.now())) {
    context.adopt(outside.document);
    return { problem: undefined };
  }
  if (problem !== undefined && clock.now() < problem.retryAtMs) return { problem };
  if (problem?.kind === 'rejected' && problem.refreshToken === outside.document.tokens.refreshToken) {
    return { problem: { ...problem, retryAtMs: clock.now() + REJECTED_RECHECK_MS } };
  }

  let lock;
  try {
    lock = await acquireFileLock(context.lockTarget, context.lockOptions);
  } catch (error) {
    const reason = error instanceof LockBusyError ? `${error.message}; will retry` : `cannot take credential lock (${errorMessage(error)})`;
    return { problem: blocked('lock_busy', reason, clock.now(), outside.document, false) };
  }
  try {
    return await refreshLocked(context, request);
  } finally {
    await lock.release().catch((error: unknown) => context.logger.warn({ err: errorMessage(error) }, 'could not remove credential lock'));
  }
}

async function refreshLocked(context: CodexRefreshContext, request: CodexRefreshRequest): Promise<CodexRefreshOutcome> {
  const { clock, logger } = context;
  const read = await readCodexAuth(context.path);
  if ('problem' in read) return { problem: request.problem, fileProblem: read.problem };
  const document = read.document;
  const nowMs = clock.now();
  const refreshToken = document.tokens.refreshToken;
  const isDue = codexNeedsRefresh(document.tokens, document.lastRefreshMs, nowMs);
  if (isFresherThan(document, request.staleToken, nowMs) || (!request.force && !isDue) || refreshToken === undefined) {
    context.adopt(document);
    return { problem: undefined };
  }
  // Make what is on disk current: its refresh token is the newest one there is.
  context.adopt(document);
  const notWritable = await whyNotWritable(context.path);
  if (notWritable !== undefined) {
    const reason = `${notWritable}; not refreshing, because the rotated refresh token could not be saved`;
    return { problem: blocked('unwritable', reason, nowMs + UNWRITABLE_RECHECK_MS, document, true) };
  }

  logger.info({ path: context.path, forced: request.force }, 'refreshing ChatGPT OAuth token');
  const result = await requestCodexTokenRefresh(context.oauthUrl, refreshToken, { nowMs: () => clock.now() });
  const afterMs = clock.now();
  switch (result.kind) {
    case 'ok': {
      const text = serializeCodexAuthFile(document, result, afterMs);
      const updated = parseCodexAuthFile(text);
      if ('error' in updated) throw new Error(`refreshed auth.json does not parse: ${updated.error}`);
      context.wrote();
      try {
        await writeFileAtomic(context.path, text);
      } catch (error) {
        // The old refresh token is already dead upstream, so the new tokens are kept in memory:
        // dropping them too would leave nothing. Loud, because a restart will need a new login.
        logger.error({ path: context.path, err: errorMessage(error) }, 'refreshed token could not be saved; it lives in memory only');
      }
      context.adopt(updated);
      logger.info({ rotated: result.refreshToken !== undefined }, 'ChatGPT OAuth token refreshed');
      return { problem: undefined };
    }
    case 'rate_limited': {
      const retryAtMs = afterMs + Math.min(result.retryAfterMs ?? TOKEN_RATE_LIMIT_DEFAULT_MS, LONGEST_TOKEN_BLOCK_MS);
      const reason = `token refresh rate-limited until ${new Date(retryAtMs).toISOString()}`;
      return { problem: blocked('rate_limited', reason, retryAtMs, document, false) };
    }
    case 'rejected': {
      const reason = `refresh token rejected (${result.message}); log in again with Codex (codex login)`;
      return { problem: blocked('rejected', reason, afterMs + REJECTED_RECHECK_MS, document, true) };
    }
    case 'failed': {
      const failures = request.problem?.kind === 'failed' ? (request.problem.failures ?? 1) + 1 : 1;
      const reason = `token refresh failed (${result.message})`;
      return { problem: { ...blocked('failed', reason, afterMs + failedRetryDelayMs(failures), document, false), failures } };
    }
  }
}

/** A token other than the one found wanting, and not itself due for refresh. */
function isFresherThan(document: CodexAuthDocument, staleToken: string, nowMs: number): boolean {
  return document.tokens.accessToken !== staleToken && !codexNeedsRefresh(document.tokens, document.lastRefreshMs, nowMs);
}

function blocked(kind: RefreshProblem['kind'], reason: string, retryAtMs: number, document: CodexAuthDocument, isFatal: boolean): RefreshProblem {
  return { kind, reason, retryAtMs, isFatal, refreshToken: document.tokens.refreshToken };
}

export async function readCodexAuth(path: string): Promise<{ document: CodexAuthDocument } | { problem: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `auth file ${path} does not exist` : `cannot read auth file (${errorMessage(error)})` };
  }
  const parsed = parseCodexAuthFile(text);
  return 'error' in parsed ? { problem: `auth file is invalid: ${parsed.error}` } : { document: parsed };
}
