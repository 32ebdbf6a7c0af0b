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
