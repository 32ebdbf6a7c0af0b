/**
 * Calls `onChange` when a file appears, changes or goes away. Watches the parent directory, since
 * Claude Code replaces the file by rename (a watch on the file itself would go stale) and the
 * file may not exist yet. If the directory does not exist either, it retries every `retryMs`.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

export function watchFile(path: string, onChange: () => void, options: { retryMs?: number; debounceMs?: number } = {}): FileWatch {
  const retryMs = options.retryMs ?? 2000;
  const debounceMs = options.debounceMs ?? 30;
  const name = basename(path);
  let watcher: FSWatcher | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const fire = (): void => {
    if (closed) return;
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(onChange, debounceMs);
    debounceTimer.unref();
  };

  const start = (): void => {
    if (closed) return;
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file.startsWith(`${name}.`)) fire();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
        scheduleRetry();
      });
      fire();
    } catch {
      scheduleRetry();
    }
  };

  const scheduleRetry = (): void => {
    if (closed) return;
    retryTimer = setTimeout(start, retryMs);
    retryTimer.unref();
  };

  start();
  return {
    close(): void {
      closed = true;
      watcher?.close();
      clearTimeout(retryTimer);
      clearTimeout(debounceTimer);
    },
  };
}
