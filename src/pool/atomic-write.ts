/**
 * Credential files are only ever replaced whole (SECURITY.md › Tokens): a temp file in the same directory,
 * fsync, rename. A reader (Claude Code, our own watcher) sees the old or the new file, never half
 * of one. Symlinks are resolved first so a linked credential file stays linked (Claude Code
 * replaces the link instead, claude-code #76561).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const temp = join(dirname(target), `${basename(target)}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have narrowed or (rarely) widened the mode given to open.
    await chmod(temp, mode);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(target));
}

/** Makes the rename itself durable; some file systems refuse to open a directory, which is fine. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}

/**
 * Whether a refresh result could be saved: the file and its directory (for the temp file and the
 * rename) must be writable. A file with no write bit at all counts as read-only even for root,
 * who bypasses permission checks: the owner marked it "do not touch", and a refresh we cannot
 * persist would kill the token on the next restart (sing-box fix `29c8794f`).
 */
export async function whyNotWritable(path: string): Promise<string | undefined> {
  const target = await realpath(path).catch(() => path);
  try {
    await access(target, constants.W_OK);
    await access(dirname(target), constants.W_OK);
    const info = await stat(target);
    if ((info.mode & 0o222) === 0) return `${target} is read-only (mode ${(info.mode & 0o777).toString(8)})`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return `${target} is not writable (${code})`;
  }
}
