/**
 * The one way a test waits for something: poll a condition until it holds or a deadline passes.
 * Tests never sleep a fixed time instead: on a shared, loaded machine any fixed sleep is either
 * too short (a flake) or too long everywhere else.
 */

export interface WaitOptions {
  /** What is awaited, as it should read after "waiting for": 'the tunnel to come up'. */
  message: string;
  /** Below vitest's 30 s test timeout, so this error (naming the condition) is the one reported. */
  timeoutMs?: number;
  intervalMs?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 20_000;

type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/**
 * Resolves with the condition's first truthy value (so a probe can return what it found). A
 * condition that throws counts as not met yet; its last error is named if time runs out.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: string | WaitOptions): Promise<Truthy<T>> {
  const { message, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS, intervalMs = 10 } = typeof options === 'string' ? { message: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: { error: unknown } | { value: unknown } = { value: undefined };
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as Truthy<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const outcome = 'error' in last ? `the last check threw ${String(last.error)}` : `the last check gave ${String(last.value)}`;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${message} (${outcome})`,
        'error' in last ? { cause: last.error } : undefined,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
