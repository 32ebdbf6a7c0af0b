/**
 * "Tell the status watchers when what they can see changed" for a default credential: compares a
 * key of the visible state after every event, and wakes itself when a cooldown or a capped window
 * ends by the clock alone (nothing else would announce that).
 */
import type { Clock } from '../lib/index.ts';
import { ChangeSignal } from './change-signal.ts';

export interface ChangeTrackerDeps {
  clock: Clock;
  /** Everything a watcher can see, as a comparable string. */
  key: (nowMs: number) => string;
  /** Epoch ms of the next moment the state changes without an event; 0 = none. */
  nextWakeMs: (nowMs: number) => number;
}

/** setTimeout's limit; longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Waking just after the edge, so the state read then is already the new one. */
const WAKE_SLACK_MS = 50;

export class ChangeTracker {
  readonly #deps: ChangeTrackerDeps;
  readonly #changes = new ChangeSignal();
  #lastKey: string;
  #timer: NodeJS.Timeout | undefined;
  #wakeAtMs = 0;
  #closed = false;

  constructor(deps: ChangeTrackerDeps) {
    this.#deps = deps;
    this.#lastKey = deps.key(deps.clock.now());
  }

  subscribe(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }

  /** Call after anything that may have changed the visible state. */
  check(): void {
    if (this.#closed) return;
    const nowMs = this.#deps.clock.now();
    const key = this.#deps.key(nowMs);
    this.#schedule(nowMs);
    if (key === this.#lastKey) return;
    this.#lastKey = key;
    this.#changes.emit();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#changes.clear();
  }

  #schedule(nowMs: number): void {
    const next = this.#deps.nextWakeMs(nowMs);
    const wakeAtMs = next > nowMs ? next : 0;
    if (wakeAtMs === this.#wakeAtMs) return;
    clearTimeout(this.#timer);
    this.#wakeAtMs = wakeAtMs;
    if (wakeAtMs === 0) return;
    this.#timer = setTimeout(
      () => {
        this.#wakeAtMs = 0;
        this.check();
      },
      Math.min(wakeAtMs - nowMs + WAKE_SLACK_MS, MAX_TIMER_MS),
    );
    this.#timer.unref();
  }
}
