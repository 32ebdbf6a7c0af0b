import { mkdir, mkdtemp, rm, stat, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, lockDirectoryFor, LockBusyError } from '../../../src/pool/index.ts';
import { claudeLockTarget } from '../../../src/providers/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let base = '';
let target = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'qm-lock-'));
  target = join(base, 'claude');
  await mkdir(target);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('file lock', () => {
  it('locks Claude Code’s config dir for .credentials.json, and the file itself otherwise', () => {
    expect(claudeLockTarget('/home/u/.claude/.credentials.json')).toBe('/home/u/.claude');
    expect(claudeLockTarget('/etc/qm/alice.json')).toBe('/etc/qm/alice.json');
  });

  it('takes the lock as a <target>.lock directory and removes it on release', async () => {
    const lock = await acquireFileLock(target);
    expect(lock.path).toBe(`${target}.lock`);
    expect((await stat(lock.path)).isDirectory()).toBe(true);
    await lock.release();
    await expect(stat(lock.path)).rejects.toThrow(/ENOENT/);
  });

  it('breaks a lock nobody touched for 10 s', async () => {
    await mkdir(`${target}.lock`);
    const past = new Date(Date.now() - 11_000);
    await utimes(`${target}.lock`, past, past);
    const lock = await acquireFileLock(target, { attempts: 1 });
    await lock.release();
  });

  it('honours a shorter injected stale time', async () => {
    await mkdir(`${target}.lock`);
    const past = new Date(Date.now() - 2000);
    await utimes(`${target}.lock`, past, past);
    await expect(acquireFileLock(target, { attempts: 1 })).rejects.toBeInstanceOf(LockBusyError);
    const lock = await acquireFileLock(target, { attempts: 1, staleMs: 1000 });
    await lock.release();
  });

  it('waits for a live holder and takes the lock once it is released', async () => {
    const holder = await acquireFileLock(target);
    let waits = 0;
    let isAcquired = false;
    const pending = acquireFileLock(target, { attempts: 10_000, retryDelayMs: () => (waits += 1) && 5 }).then((lock) => {
      isAcquired = true;
      return lock;
    });
    await waitFor(() => waits > 1, 'the second acquirer to retry');
    expect(isAcquired).toBe(false);
    await holder.release();
    const lock = await pending;
    await lock.release();
  });

  it('gives up after the configured attempts', async () => {
    const holder = await acquireFileLock(target);
    let waits = 0;
    await expect(acquireFileLock(target, { attempts: 6, retryDelayMs: () => (waits += 1) && 1 })).rejects.toBeInstanceOf(LockBusyError);
    expect(waits).toBe(5);
    await holder.release();
  });

  it('keeps a held lock fresh with a heartbeat', async () => {
    const lock = await acquireFileLock(target, { heartbeatMs: 5 });
    const past = new Date(Date.now() - 60_000);
    await utimes(lock.path, past, past);
    await waitFor(async () => Date.now() - (await stat(lock.path)).mtimeMs < 10_000, 'the heartbeat to refresh the lock');
    await lock.release();
  });

  it('resolves symlinks like proper-lockfile', async () => {
    await symlink(target, join(base, 'link'));
    expect(await lockDirectoryFor(join(base, 'link'))).toBe(`${target}.lock`);
  });
});
