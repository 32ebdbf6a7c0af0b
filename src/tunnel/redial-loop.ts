/**
 * The loop both connectors share (ours on /v1/tunnel, sing-box's reverse dialer): dial, serve what
 * opened until it ends (or describe why it did not open), wait on the ReconnectSchedule, again,
 * until stopped. The dialers keep what differs: how to dial, what a session is, what to log.
 */
import { ReconnectSchedule, type ReconnectCause, type ReconnectOptions } from './reconnect-schedule.ts';

export type DialerState = 'connecting' | 'connected' | 'waiting' | 'closed';

export interface RedialSteps<Outcome> {
  dial(): Promise<Outcome>;
  /** Serves an opened outcome until it ends, or describes a failed one: the cause of the next wait. */
  settle(outcome: Outcome): Promise<ReconnectCause> | ReconnectCause;
  /** An outcome that arrived after stop(): free what it holds. */
  discard(outcome: Outcome): void;
  onState(state: DialerState): void;
  onWaiting?(delayMs: number, cause: ReconnectCause): void;
}

export class RedialLoop<Outcome> {
  readonly #steps: RedialSteps<Outcome>;
  readonly #schedule: ReconnectSchedule;
  #state: DialerState = 'connecting';
  #wake: (() => void) | undefined;
  /** Ends once stop() was called and the current step returned. */
  readonly done: Promise<void>;

  /** Starts at once: construct it last, once everything the steps use is in place. */
  constructor(steps: RedialSteps<Outcome>, reconnect?: ReconnectOptions) {
    this.#steps = steps;
    this.#schedule = new ReconnectSchedule(reconnect);
    this.done = this.#run();
  }

  get state(): DialerState {
    return this.#state;
  }

  /** A method, not a field read, so TypeScript does not narrow across awaits. */
  isStopped(): boolean {
    return this.#state === 'closed';
  }

  /** `connected` is the dialer's to say (its session is up); the loop says the rest. */
  setState(state: DialerState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.#steps.onState(state);
  }

  /** Skips the remaining backoff wait; no effect while connecting or connected. */
  redialNow(): void {
    this.#wake?.();
  }

  /** No further dial; a wait in progress ends now. The caller ends its session, then awaits `done`. */
  stop(): void {
    this.setState('closed');
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.isStopped()) {
      this.setState('connecting');
      const outcome = await this.#steps.dial();
      if (this.isStopped()) return this.#steps.discard(outcome);
      const cause = await this.#steps.settle(outcome);
      if (this.isStopped()) return;
      const delayMs = this.#schedule.delayAfter(cause);
      this.setState('waiting');
      this.#steps.onWaiting?.(delayMs, cause);
      await this.#sleep(delayMs);
    }
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      this.#wake = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => (this.#wake = undefined));
  }
}
