/**
 * The file `quotamesh statusline` answers from, so that Claude Code's frequent invocations cost
 * a file read instead of a round trip. One file per node URL and token (hashed: the token never
 * lands on disk), in a directory only this user owns. Everything read back is validated: the file
 * lives in a shared temp directory and may be truncated, stale or planted.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CredentialState, ProviderStatus, SessionAssignment } from '../status/index.ts';

export interface SessionEntry {
  credential: string | null;
  peer: string | null;
  atMs: number;
}

export interface StatuslineCache {
  /** Local clock when the node last answered; 0 = never. */
  fetchedAtMs: number;
  /** Node clock minus local clock at that answer, so countdowns follow the node. */
  nodeOffsetMs: number;
  pool: ProviderStatus | undefined;
  sessions: Record<string, SessionEntry>;
  /** Local clock of the last failed refresh after `fetchedAtMs`; 0 = none. */
  failedAtMs: number;
}

/** A pool answer this old is refreshed in the background (it is still shown meanwhile). */
export const FRESH_MS = 15_000;
/**
 * A session the node had not bound yet gets bound by its first request, which Claude Code
 * follows with a status line update: ask again soon, or that update shows no account.
 */
export const UNBOUND_FRESH_MS = 2000;
/** After a failure, the next attempt waits this long: an offline node is not hammered per keystroke. */
export const RETRY_MS = 10_000;
/** A lock older than this belongs to a refresher that died; it is taken over. */
export const LOCK_STALE_MS = 30_000;
const MAX_SESSIONS = 32;
const MAX_FILE_BYTES = 64 * 1024;
const STATES: readonly CredentialState[] = ['usable', 'rate_limited', 'unavailable'];

export function emptyCache(): StatuslineCache {
  return { fetchedAtMs: 0, nodeOffsetMs: 0, pool: undefined, sessions: {}, failedAtMs: 0 };
}

/** $QUOTAMESH_CACHE_DIR, else $XDG_CACHE_HOME/quotamesh, else a per-user folder in the OS temp dir. */
export function cacheDirectory(env: Record<string, string | undefined>): string {
  if (env.QUOTAMESH_CACHE_DIR) return env.QUOTAMESH_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'quotamesh');
  return join(tmpdir(), `quotamesh-${process.getuid?.() ?? 'user'}`);
}

export function cacheFilePath(directory: string, url: string, token: string): string {
  const key = createHash('sha256').update(`${url}\n${token}`).digest('hex').slice(0, 24);
  return join(directory, `statusline-${key}.json`);
}

/**
 * Creates the directory if needed; false when it is not ours to use: a symlink or a folder owned
 * by someone else in a shared temp dir could point our writes elsewhere or feed us their file.
 */
export function prepareDirectory(directory: string): boolean {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const info = lstatSync(directory);
    if (!info.isDirectory()) return false;
    const uid = process.getuid?.();
    return uid === undefined || (info.uid === uid && (info.mode & 0o022) === 0);
  } catch {
    return false;
  }
}

export function readCache(path: string): StatuslineCache | undefined {
  try {
    const info = lstatSync(path);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    return parseCache(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Write then rename: a reader never sees half a file, and two writers never interleave bytes. */
export function writeCache(path: string, cache: StatuslineCache): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ version: 1, ...cache }), { mode: 0o600 });
  renameSync(temporary, path);
}

export function parseCache(value: unknown): StatuslineCache | undefined {
  if (!isObject(value) || value.version !== 1) return undefined;
  const { fetchedAtMs, nodeOffsetMs, failedAtMs } = value;
  if (!isFiniteNumber(fetchedAtMs) || !isFiniteNumber(nodeOffsetMs) || !isFiniteNumber(failedAtMs)) return undefined;
  const sessions: Record<string, SessionEntry> = {};
  if (isObject(value.sessions)) {
    for (const [id, entry] of Object.entries(value.sessions).slice(0, MAX_SESSIONS)) {
      if (isObject(entry) && isFiniteNumber(entry.atMs) && isNameOrNull(entry.credential) && isNameOrNull(entry.peer)) {
        sessions[id] = { credential: entry.credential, peer: entry.peer, atMs: entry.atMs };
      }
    }
  }
  return { fetchedAtMs, nodeOffsetMs, failedAtMs, pool: parsePool(value.pool), sessions };
}

/** The provider object of `/v1/status?provider=claude`, or undefined when it is not one. */
export function parsePool(value: unknown): ProviderStatus | undefined {
  if (!isObject(value)) return undefined;
  const numbers = ['five_hour_utilization', 'five_hour_reset', 'weekly_utilization', 'weekly_reset', 'plan_weight', 'retry_at'] as const;
  if (!numbers.every((key) => isFiniteNumber(value[key]))) return undefined;
  if (!STATES.includes(value.state as CredentialState)) return undefined;
  const pool: Record<string, unknown> = { state: value.state };
  for (const key of numbers) pool[key] = value[key];
  return pool as unknown as ProviderStatus;
}

/** The `session` member of that object, or undefined. */
export function parseSession(value: unknown): SessionAssignment | undefined {
  if (!isObject(value) || typeof value.id !== 'string' || !isNameOrNull(value.credential) || !isNameOrNull(value.peer)) return undefined;
  return { id: value.id, credential: value.credential, peer: value.peer };
}

/** The cache after a successful answer: sessions are merged, the oldest dropped past a bound. */
export function withAnswer(
  cache: StatuslineCache,
  pool: ProviderStatus,
  session: SessionAssignment | undefined,
  nodeOffsetMs: number,
  nowMs: number,
): StatuslineCache {
  const sessions = { ...cache.sessions };
  if (session !== undefined) {
    delete sessions[session.id];
    sessions[session.id] = { credential: session.credential, peer: session.peer, atMs: nowMs };
  }
  const ids = Object.keys(sessions).sort((a, b) => (sessions[a]?.atMs ?? 0) - (sessions[b]?.atMs ?? 0));
  for (const id of ids.slice(0, Math.max(0, ids.length - MAX_SESSIONS))) delete sessions[id];
  return { fetchedAtMs: nowMs, nodeOffsetMs, pool, sessions, failedAtMs: 0 };
}

export function withFailure(cache: StatuslineCache, nowMs: number): StatuslineCache {
  return { ...cache, failedAtMs: nowMs };
}

/** True when the last word from the node is a failure (newer than its last answer). */
export function isOffline(cache: StatuslineCache): boolean {
  return cache.failedAtMs > 0 && cache.failedAtMs >= cache.fetchedAtMs;
}

/** Whether a background refresh is due for this session at `nowMs`. */
export function needsRefresh(cache: StatuslineCache, sessionId: string | undefined, nowMs: number): boolean {
  if (cache.failedAtMs > 0 && nowMs - cache.failedAtMs < RETRY_MS) return false;
  if (cache.pool === undefined || nowMs - cache.fetchedAtMs >= FRESH_MS) return true;
  if (sessionId === undefined) return false;
  const entry = cache.sessions[sessionId];
  return entry === undefined || nowMs - entry.atMs >= (entry.credential === null ? UNBOUND_FRESH_MS : FRESH_MS);
}

/**
 * One refresher per cache file: Claude Code runs the status line on every event, and several
 * sessions may share a node. The lock is a file created exclusively; one left by a dead
 * refresher is taken over once it is old.
 */
export function tryLock(path: string, nowMs: number): boolean {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      try {
        if (nowMs - statSync(lock).mtimeMs < LOCK_STALE_MS) return false;
        unlinkSync(lock);
      } catch {
        // gone meanwhile: try again
      }
    }
  }
  return false;
}

export function unlock(path: string): void {
  try {
    unlinkSync(`${path}.lock`);
  } catch {
    // already gone
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNameOrNull(value: unknown): value is string | null {
  return value === null || (typeof value === 'string' && value.length <= 256);
}
