/** Lets one caller stop waiting without cancelling the shared refresh it waits for. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    // The shared work goes on; only this caller stops waiting.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
