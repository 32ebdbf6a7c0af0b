/**
 * `socket.setTimeout` semantics for a stream: 'timeout' fires once after `ms` without activity and
 * re-arms on the next activity. Activity only stamps a time; the single timer re-checks the stamp
 * when it fires, so busy streams do not reset a timer per chunk.
 */
export class IdleTimer {
  readonly #onIdle: () => void;
  #timeoutMs = 0;
  #lastActivityAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(onIdle: () => void) {
    this.#onIdle = onIdle;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  set(timeoutMs: number): void {
    this.#timeoutMs = timeoutMs;
    this.clear();
    if (timeoutMs > 0) {
      this.#lastActivityAt = performance.now();
      this.#arm(timeoutMs);
    }
  }

  touch(): void {
    if (this.#timeoutMs === 0) return;
    this.#lastActivityAt = performance.now();
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#fire, delayMs);
    // Like net.Socket timeouts: an idle stream must not keep the process alive.
    this.#timer.unref();
  }

  #fire = (): void => {
    this.#timer = undefined;
    const idleMs = performance.now() - this.#lastActivityAt;
    if (idleMs + 1 < this.#timeoutMs) {
      this.#arm(this.#timeoutMs - idleMs);
      return;
    }
    this.#onIdle();
  };
}
