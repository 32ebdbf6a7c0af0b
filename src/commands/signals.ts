/** Resolves on the first SIGINT or SIGTERM (stop, drain, exit 0: ARCHITECTURE.md › Lifecycle). */
export function untilSignal(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Calls `listener` on every SIGHUP (reload the config: CONFIG.md › Reloading) until unsubscribed. */
export function onHangup(listener: () => void): () => void {
  process.on('SIGHUP', listener);
  return () => process.off('SIGHUP', listener);
}
