/**
 * One refresh attempt, in the order that keeps a single-use refresh token alive (as sing-box's
 * `tryRefreshCredentials` in service/ccm does): respect an earlier block, absorb a file another
 * process already refreshed, take the provider's lock, re-read, check the file can be saved,
 * refresh, save atomically keeping every unknown key. A result that could not be saved is never
 * requested. The same steps for every provider; the file and the request come from the format.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { errorMessage, type Clock } from '../lib/index.ts';
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
import type { TokenFormat } from './token-format.ts';

export interface RefreshContext<Document> {
  format: TokenFormat<Document>;
  path: string;
  oauthUrl: string;
  lockTarget: string;
  lockOptions: FileLockOptions;
  clock: Clock;
  logger: Logger;
  /** Makes a document current (from the file or from our refresh). */
  adopt: (document: Document) => void;
  /** Called right before our own write, so concurrent reloads can tell. */
  wrote: () => void;
}

export interface RefreshRequest {
  /** Refresh even though the token is not due (after a 401). */
  force: boolean;
  /** The token the caller found wanting; a different, fresh one in the file is the answer. */
  staleToken: string;
  problem: RefreshProblem | undefined;
}

export interface RefreshOutcome {
  problem: RefreshProblem | undefined;
  fileProblem?: string;
}

export async function refreshUnderLock<Document>(context: RefreshContext<Document>, request: RefreshRequest): Promise<RefreshOutcome> {
  const { clock, format } = context;
  const { problem } = request;
  // Another process may have refreshed (or the user logged in again): that costs no token call.
  const outside = await readTokenFile(context.path, format);
  if ('problem' in outside) return { problem, fileProblem: outside.problem };
  if (isFresherThan(format, outside.document, request.staleToken, clock.now())) {
    context.adopt(outside.document);
    return { problem: undefined };
  }
  // Blocked by an earlier answer: a 429's Retry-After, a dead refresh token, an unwritable file.
  if (problem !== undefined && clock.now() < problem.retryAtMs) return { problem };
  if (problem?.kind === 'rejected' && problem.refreshToken === format.refreshToken(outside.document)) {
    return { problem: { ...problem, retryAtMs: clock.now() + REJECTED_RECHECK_MS } };
  }

  let lock;
  try {
    lock = await acquireFileLock(context.lockTarget, context.lockOptions);
  } catch (error) {
    const reason = error instanceof LockBusyError ? `${error.message}; will retry` : `cannot take credential lock (${errorMessage(error)})`;
    return { problem: blocked('lock_busy', reason, clock.now(), format.refreshToken(outside.document), false) };
  }
  try {
    return await refreshLocked(context, request);
  } finally {
    await lock.release().catch((error: unknown) => context.logger.warn({ err: errorMessage(error) }, 'could not remove credential lock'));
  }
}

async function refreshLocked<Document>(context: RefreshContext<Document>, request: RefreshRequest): Promise<RefreshOutcome> {
  const { clock, logger, format } = context;
  const read = await readTokenFile(context.path, format);
  if ('problem' in read) return { problem: request.problem, fileProblem: read.problem };
  const document = read.document;
  const refreshToken = format.refreshToken(document);
  const nowMs = clock.now();
  const isDue = request.force || format.needsRefresh(document, nowMs);
  if (isFresherThan(format, document, request.staleToken, nowMs) || !isDue || !format.canRefresh(document)) {
    context.adopt(document);
    return { problem: undefined };
  }
  // Make what is on disk current: its refresh token is the newest one there is.
  context.adopt(document);
  const notWritable = await whyNotWritable(context.path);
  if (notWritable !== undefined) {
    const reason = `${notWritable}; not refreshing, because the rotated refresh token could not be saved`;
    return { problem: blocked('unwritable', reason, nowMs + UNWRITABLE_RECHECK_MS, refreshToken, true) };
  }

  logger.info({ path: context.path, forced: request.force }, `refreshing ${format.messages.token}`);
  const result = await format.refresh(context.oauthUrl, document, () => clock.now());
  const afterMs = clock.now();
  switch (result.kind) {
    case 'ok': {
      const updated = format.parse(result.text);
      if (isParseError(updated)) throw new Error(`refreshed ${format.messages.refreshedDocument} does not parse: ${updated.error}`);
      context.wrote();
      try {
        await writeFileAtomic(context.path, result.text);
      } catch (error) {
        // The old refresh token is already dead upstream, so the new tokens are kept in memory:
        // dropping them too would leave nothing. Loud, because a restart will need a new login.
        logger.error({ path: context.path, err: errorMessage(error) }, 'refreshed token could not be saved; it lives in memory only');
      }
      context.adopt(updated);
      logger.info(result.logFields, `${format.messages.token} refreshed`);
      return { problem: undefined };
    }
    case 'rate_limited': {
      const retryAtMs = afterMs + Math.min(result.retryAfterMs ?? TOKEN_RATE_LIMIT_DEFAULT_MS, LONGEST_TOKEN_BLOCK_MS);
      const reason = `token refresh rate-limited until ${new Date(retryAtMs).toISOString()}`;
      return { problem: blocked('rate_limited', reason, retryAtMs, refreshToken, false) };
    }
    case 'rejected': {
      const reason = `refresh token rejected (${result.message}); ${format.messages.relogin}`;
      return { problem: blocked('rejected', reason, afterMs + REJECTED_RECHECK_MS, refreshToken, true) };
    }
    case 'failed': {
      const failures = request.problem?.kind === 'failed' ? (request.problem.failures ?? 1) + 1 : 1;
      const reason = `token refresh failed (${result.message})`;
      return { problem: { ...blocked('failed', reason, afterMs + failedRetryDelayMs(failures), refreshToken, false), failures } };
    }
  }
}

/** A token other than the one found wanting, and not itself due for refresh. */
function isFresherThan<Document>(format: TokenFormat<Document>, document: Document, staleToken: string, nowMs: number): boolean {
  return format.accessToken(document) !== staleToken && !format.needsRefresh(document, nowMs);
}

function blocked(
  kind: RefreshProblem['kind'],
  reason: string,
  retryAtMs: number,
  refreshToken: string | undefined,
  isFatal: boolean,
): RefreshProblem {
  return { kind, reason, retryAtMs, isFatal, refreshToken };
}

function isParseError<Document>(parsed: Document | { error: string }): parsed is { error: string } {
  return parsed !== null && typeof parsed === 'object' && 'error' in parsed;
}

export async function readTokenFile<Document>(
  path: string,
  format: TokenFormat<Document>,
): Promise<{ document: Document } | { problem: string }> {
  const noun = format.messages.file;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `${noun} ${path} does not exist` : `cannot read ${noun} (${errorMessage(error)})` };
  }
  const parsed = format.parse(text);
  return isParseError(parsed) ? { problem: `${noun} is invalid: ${parsed.error}` } : { document: parsed };
}
