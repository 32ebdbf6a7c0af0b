/**
 * Writes a login's result into a credential file, for `quotamesh login` and the admin API alike:
 * under the lock the vendor CLI (and our own refresh) takes on that file, re-reading what is there
 * so every other key survives, then replacing it atomically with mode 0600. A node watching the
 * file (pool/file-watch.ts watches the directory, so a new file is seen too) picks it up.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { acquireFileLock, writeFileAtomic } from '../pool/index.ts';
import { existingObject, type AnyProviderModule, type LoginResult } from '../providers/index.ts';

export async function saveLogin(
  provider: Pick<AnyProviderModule, 'credentialFile'>,
  path: string,
  result: Extract<LoginResult, { kind: 'ok' }>,
  nowMs: number,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const lock = await acquireFileLock(provider.credentialFile.defaultLockTarget(path));
  try {
    const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    await writeFileAtomic(path, result.fileText(existing, nowMs));
  } finally {
    await lock.release();
  }
}

/** Refuses before the person logs in when the target exists and is not a JSON object (a wrong path). */
export async function checkLoginTarget(path: string): Promise<void> {
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${error.code ?? error.message}`);
  });
  try {
    existingObject(existing, 'a credential file');
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
