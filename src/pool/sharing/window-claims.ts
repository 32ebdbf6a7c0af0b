/**
 * One window (5 h or weekly) of one credential, as the attribution sees it: the highest
 * utilization observed in the current window (the level), and which open request claimed which
 * stretch of the rise up to it.
 *
 * A response's own rate-limit headers are read at its head and include its own charge (the
 * simulator charges before it answers; the vendors report the window as it stands when they
 * answer), so the rise from the level to a response's reading is that request's. Heads of
 * concurrent requests can arrive out of order: a reading below the level takes its stretch back
 * from the open claim that covered it. A reset is never a negative rise: in a new window the
 * reading itself is the rise since the reset.
 */

export interface Reading {
  /** Percent 0–100. */
  utilization: number;
  /** Unix seconds; 0 = unknown. */
  resetAt: number;
}

/** Resets a few seconds apart are the same window (Codex reports a reset *after* seconds). */
export const SAME_WINDOW_SECONDS = 60;
/** Open stretches remembered per window: enough for every request in flight on one credential. */
export const MAX_OPEN_STRETCHES = 1024;

/** A request's share of the rise, in percent of its credential's window; grows until closed. */
export interface RiseClaim {
  fiveHour: number;
  weekly: number;
  isOpen: boolean;
}

export type WindowName = 'fiveHour' | 'weekly';

interface Stretch {
  low: number;
  high: number;
  claim: RiseClaim;
}

/** How a reading relates to the level: the same window, a newer one, or a stale older one. */
export function compareWindow(level: Reading, reading: Reading, nowSeconds: number): 'same' | 'newer' | 'older' {
  if (level.resetAt > 0 && level.resetAt <= nowSeconds) return 'newer';
  if (level.resetAt > 0 && reading.resetAt > 0) {
    if (reading.resetAt > level.resetAt + SAME_WINDOW_SECONDS) return 'newer';
    if (reading.resetAt < level.resetAt - SAME_WINDOW_SECONDS) return 'older';
  }
  return 'same';
}

/**
 * A reading we can compare: finite, 0–100, and a window whose reset already passed reads as the
 * empty new window (as the aggregate's effectiveWindow does), not as its stale last value.
 */
export function cleanReading(reading: Reading, nowSeconds: number): Reading | undefined {
  if (!Number.isFinite(reading.utilization) || !Number.isFinite(reading.resetAt)) return undefined;
  if (reading.resetAt > 0 && reading.resetAt <= nowSeconds) return { utilization: 0, resetAt: 0 };
  return { utilization: Math.min(100, Math.max(0, reading.utilization)), resetAt: Math.max(0, reading.resetAt) };
}

export class WindowClaims {
  readonly #window: WindowName;
  #level: Reading | undefined;
  #stretches: Stretch[] = [];

  constructor(window: WindowName) {
    this.#window = window;
  }

  get level(): Reading | undefined {
    return this.#level && { ...this.#level };
  }

  /** What was known before any response of ours was read (a poll, the saved state): no rise. */
  seed(reading: Reading, nowSeconds: number): void {
    const clean = cleanReading(reading, nowSeconds);
    if (this.#level === undefined && clean !== undefined) this.#level = clean;
  }

  /** A response's own reading: the rise it shows is added to `claim`. */
  claim(claim: RiseClaim, reading: Reading, nowSeconds: number): void {
    const clean = cleanReading(reading, nowSeconds);
    if (clean === undefined) return;
    const level = this.#level;
    if (level === undefined) {
      // No baseline: the reading holds consumption from before we watched, nobody's to pay.
      this.#level = clean;
      return;
    }
    const relation = compareWindow(level, clean, nowSeconds);
    if (relation === 'older') return;
    if (relation === 'newer') {
      this.#stretches = [];
      this.#level = clean;
      this.#add(claim, 0, clean.utilization);
      return;
    }
    if (clean.utilization >= level.utilization) {
      this.#level = { utilization: clean.utilization, resetAt: level.resetAt || clean.resetAt };
      this.#add(claim, level.utilization, clean.utilization);
      return;
    }
    this.#takeBack(claim, clean.utilization);
  }

  /**
   * A reading that belongs to no response of ours (a usage poll, a peer's status): returns the
   * rise beyond the level, which requests that finished since the previous observation share.
   */
  observe(reading: Reading, nowSeconds: number): number {
    const clean = cleanReading(reading, nowSeconds);
    if (clean === undefined) return 0;
    const level = this.#level;
    if (level === undefined) {
      this.#level = clean;
      return 0;
    }
    const relation = compareWindow(level, clean, nowSeconds);
    if (relation === 'older') return 0;
    if (relation === 'newer') {
      this.#stretches = [];
      this.#level = clean;
      return clean.utilization;
    }
    if (clean.utilization <= level.utilization) return 0;
    this.#level = { utilization: clean.utilization, resetAt: level.resetAt || clean.resetAt };
    return clean.utilization - level.utilization;
  }

  /** A settled claim keeps what it has; its stretches can no longer be taken back. */
  release(claim: RiseClaim): void {
    this.#stretches = this.#stretches.filter((stretch) => stretch.claim !== claim);
  }

  #add(claim: RiseClaim, low: number, high: number): void {
    if (high <= low) return;
    claim[this.#window] += high - low;
    this.#stretches.push({ low, high, claim });
    if (this.#stretches.length > MAX_OPEN_STRETCHES) this.#stretches.shift();
  }

  /** A late reading `value` below the level: the open stretch covering it gives up [low, value]. */
  #takeBack(claim: RiseClaim, value: number): void {
    const stretch = this.#stretches.find((candidate) => candidate.low < value && value <= candidate.high && candidate.claim.isOpen);
    if (stretch === undefined || stretch.claim === claim) return;
    const moved = value - stretch.low;
    stretch.claim[this.#window] = Math.max(0, stretch.claim[this.#window] - moved);
    stretch.low = value;
    claim[this.#window] += moved;
    this.#stretches.push({ low: value - moved, high: value, claim });
    if (this.#stretches.length > MAX_OPEN_STRETCHES) this.#stretches.shift();
  }
}
