/** The one time source. Production uses the system clock; tests pass a ManualClock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs = Date.UTC(2026, 10, 21, 12, 0, 0)) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  advance(ms: number): void {
    this.#nowMs += ms;
  }

  set(ms: number): void {
    this.#nowMs = ms;
  }
}

export function toUnixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
