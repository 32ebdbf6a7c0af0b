/**
 * The cross-process lock Claude Code takes before refreshing (the npm package proper-lockfile, as
 * Claude Code and sing-box service/ccm/credential_lock.go use it): `mkdir <realpath(target)>.lock`,
 * 6 attempts 1–2 s apart, a lock directory untouched for 10 s is stale and removed, and the holder
 * touches it every 5 s. Staleness is judged against the directory's mtime, i.e. wall time shared
 * with other processes, so it uses Date.now() and not the injected Clock.
 */
import { mkdir, realpath, rm, stat, utimes } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sleep } from '../lib/index.ts';

export interface FileLockOptions {
  /** Total tries (default 6, Claude Code's 1 + 5 retries). */
  attempts?: number;
  /** Pause after a busy try (default 1–2 s, random). */
  retryDelayMs?: () => number;
  /** A lock directory older than this is abandoned (default 10 s). */
  staleMs?: number;
  /** How often the holder refreshes the mtime (default 5 s). */
  heartbeatMs?: number;
}

export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

export class LockBusyError extends Error {
  readonly lockPath: string;

  constructor(lockPath: string, attempts: number) {
    super(`lock ${lockPath} still held by another process after ${attempts} attempts`);
    this.name = 'LockBusyError';
    this.lockPath = lockPath;
  }
}

const DEFAULTS = { attempts: 6, staleMs: 10_000, heartbeatMs: 5000 };

/** The lock directory for a target, symlinks resolved as proper-lockfile does. */
export async function lockDirectoryFor(target: string): Promise<string> {
  const resolved = await realpath(target).catch(() => resolve(target));
  return `${resolved}.lock`;
}

export async function acquireFileLock(target: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const attempts = options.attempts ?? DEFAULTS.attempts;
  const staleMs = options.staleMs ?? DEFAULTS.staleMs;
  const retryDelayMs = options.retryDelayMs ?? (() => 1000 + Math.random() * 1000);
  const lockPath = await lockDirectoryFor(target);
  for (let attempt = 1; ; attempt += 1) {
    if (await tryMkdir(lockPath)) return hold(lockPath, options.heartbeatMs ?? DEFAULTS.heartbeatMs);
    // A crashed holder leaves the directory behind; its frozen mtime gives it away.
    if (await isStale(lockPath, staleMs)) {
      await rm(lockPath, { recursive: true, force: true });
      if (await tryMkdir(lockPath)) return hold(lockPath, options.heartbeatMs ?? DEFAULTS.heartbeatMs);
    }
    if (attempt >= attempts) throw new LockBusyError(lockPath, attempts);
    await sleep(retryDelayMs());
  }
}

async function tryMkdir(lockPath: string): Promise<boolean> {
  try {
    await mkdir(lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const info = await stat(lockPath);
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    // Gone between mkdir and stat: the next try will take it.
    return true;
  }
}

function hold(lockPath: string, heartbeatMs: number): HeldLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, heartbeatMs);
  heartbeat.unref();
  let released = false;
  return {
    path: lockPath,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      await rm(lockPath, { recursive: true, force: true });
    },
  };
}
