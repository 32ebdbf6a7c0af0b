/**
 * Follows a peer's `GET /v1/status?provider=X&watch=true` (or a sing-box node's
 * `/ccm/v1/status?watch=true`; PROTOCOL.md › Node-to-node requests):
 * each NDJSON frame is the peer's aggregate for what it shares with us. Reconnects with backoff (1
 * s doubling to 30 s, reset after a stream that lived a minute) on transport errors and ends; a 4xx
 * or a garbled payload will not fix itself, so it stops and reports (sing-box `99e19e70`) until the
 * link changes (a tunnel coming up restarts it, sing-box `6b8838d3`).
 */
import type { IncomingMessage } from 'node:http';
import { errorMessage, exponentialDelayMs, LineSplitter, sleep, type Clock } from '../lib/index.ts';
import { MAX_PLAN_WEIGHT, MAX_UNIX_SECONDS, type CredentialState, type Provider } from '../status/index.ts';
import { forward } from '../upstream/index.ts';
import type { PeerLink } from './peer-link.ts';

export interface PeerStatusFrame {
  fiveHourUtilization: number;
  fiveHourReset: number;
  weeklyUtilization: number;
  weeklyReset: number;
  planWeight: number;
  state: CredentialState;
  retryAt: number;
}

export interface PeerStatusStreamOptions {
  link: PeerLink;
  provider: Provider;
  clock: Clock;
  onFrame(frame: PeerStatusFrame): void;
  /** A fatal problem (4xx, bad payload) or undefined when it is cleared. */
  onProblem(problem: string | undefined): void;
  random?: () => number;
}

const STATES: readonly CredentialState[] = ['usable', 'rate_limited', 'unavailable'];
const STABLE_STREAM_MS = 60_000;
/** 2^5 s ≥ 30 s: the attempt count at which the backoff reaches its ceiling. */
const SLOWEST_ATTEMPT = 5;
/** A status frame is a few hundred bytes; a line past this is not a status frame. */
export const MAX_STATUS_LINE_BYTES = 64 * 1024;

/**
 * A peer's frame, or undefined when a required key is missing or any number is non-finite or
 * out of range (a percentage outside 0–100, a time past 2106, a weight no pool can have): a
 * peer that sends those is broken or lying, and one such number would poison the aggregate.
 */
export function parseStatusFrame(value: unknown): PeerStatusFrame | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const frame = value as Record<string, unknown>;
  let isOutOfRange = false;
  const number = (key: string, max: number): number | undefined => {
    const field = frame[key];
    // Absent or null: a required key makes the frame incomplete, an optional time is unknown.
    if (field === undefined || field === null) return undefined;
    if (typeof field !== 'number' || !Number.isFinite(field) || field < 0 || field > max) {
      isOutOfRange = true;
      return undefined;
    }
    return field;
  };
  const fiveHourUtilization = number('five_hour_utilization', 100);
  const weeklyUtilization = number('weekly_utilization', 100);
  const planWeight = number('plan_weight', MAX_PLAN_WEIGHT);
  const fiveHourReset = number('five_hour_reset', MAX_UNIX_SECONDS) ?? 0;
  const weeklyReset = number('weekly_reset', MAX_UNIX_SECONDS) ?? 0;
  const retryAt = number('retry_at', MAX_UNIX_SECONDS) ?? 0;
  if (isOutOfRange || fiveHourUtilization === undefined || weeklyUtilization === undefined || planWeight === undefined) return undefined;
  const state = STATES.includes(frame.state as CredentialState) ? (frame.state as CredentialState) : 'usable';
  return { fiveHourUtilization, fiveHourReset, weeklyUtilization, weeklyReset, planWeight, state, retryAt };
}

export class PeerStatusStream {
  readonly #options: PeerStatusStreamOptions;
  #abort = new AbortController();
  #closed = false;
  #loop: Promise<void> | undefined;
  readonly #unsubscribe: () => void;

  constructor(options: PeerStatusStreamOptions) {
    this.#options = options;
    this.#unsubscribe = options.link.onChange(() => this.restart());
  }

  start(): void {
    this.#loop ??= this.#run(this.#abort.signal);
  }

  /** Drops the current stream and starts again at once (the link changed). */
  restart(): void {
    if (this.#closed) return;
    this.#abort.abort();
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    const previous = this.#loop ?? Promise.resolve();
    this.#loop = previous.then(() => this.#run(signal));
  }

  async #run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const route = this.#options.link.route();
      if (route === undefined) return; // restarted by onChange when the tunnel comes up
      const startedMs = this.#options.clock.now();
      const watch = this.#options.link.statusWatch ?? {
        pathAndQuery: `/v1/status?provider=${this.#options.provider}&watch=true`,
        onRefusal: 'stop',
      };
      let response: IncomingMessage;
      try {
        response = await forward({
          baseUrl: route.baseUrl,
          pathAndQuery: watch.pathAndQuery,
          method: 'GET',
          headers: { ...route.headers, accept: 'application/x-ndjson' },
          body: undefined,
          agent: route.agent,
          signal,
        });
      } catch {
        if (signal.aborted) return;
        await sleep(exponentialDelayMs(attempt++, { baseMs: 1000, maxMs: 30_000, jitterRatio: 0.5, random: this.#options.random }), signal);
        continue;
      }
      const status = response.statusCode ?? 0;
      if (status >= 400 && watch.onRefusal === 'retry_slowly') {
        // A sing-box node without this path (or this user) answers the same every time: ask
        // again only at the slowest rate, and say why once (the credential logs a problem once).
        response.resume();
        this.#options.onProblem(
          `peer ${this.#options.link.peerName} answers ${status} to ${watch.pathAndQuery.split('?')[0]}; asking again every 30 s or so`,
        );
        attempt = Math.max(attempt, SLOWEST_ATTEMPT);
        await sleep(exponentialDelayMs(attempt, { baseMs: 1000, maxMs: 30_000, jitterRatio: 0.5, random: this.#options.random }), signal);
        continue;
      }
      if (status >= 400 && status < 500) {
        response.resume();
        this.#options.onProblem(`peer ${this.#options.link.peerName} refused our status request (${status})`);
        return;
      }
      const fatal = status === 200 ? await this.#consume(response, signal) : (response.resume(), undefined);
      if (fatal !== undefined) {
        this.#options.onProblem(fatal);
        return;
      }
      if (signal.aborted) return;
      if (this.#options.clock.now() - startedMs >= STABLE_STREAM_MS) attempt = 0;
      await sleep(exponentialDelayMs(attempt++, { baseMs: 1000, maxMs: 30_000, jitterRatio: 0.5, random: this.#options.random }), signal);
    }
  }

  /**
   * Reads frames until the stream ends; returns a fatal problem, or undefined for a plain end.
   * A line past MAX_STATUS_LINE_BYTES is fatal like a garbled frame: the peer is refused until
   * the link changes, not retried in a loop.
   */
  async #consume(response: IncomingMessage, signal: AbortSignal): Promise<string | undefined> {
    const lines = new LineSplitter(MAX_STATUS_LINE_BYTES);
    let fatal: string | undefined;
    const onLine = (text: string): void => {
      const line = text.trim();
      if (line === '' || fatal !== undefined) return;
      let frame: PeerStatusFrame | undefined;
      try {
        frame = parseStatusFrame(JSON.parse(line));
      } catch (error) {
        fatal = `peer ${this.#options.link.peerName} sent an unreadable status frame (${errorMessage(error)})`;
        return;
      }
      if (frame === undefined) {
        fatal = `peer ${this.#options.link.peerName} sent a status frame without the required keys or with numbers out of range`;
        return;
      }
      this.#options.onProblem(undefined);
      this.#options.onFrame(frame);
    };
    try {
      for await (const chunk of response) {
        if (!lines.push(chunk as Buffer, onLine) && fatal === undefined) {
          fatal = `peer ${this.#options.link.peerName} sent a status line longer than ${MAX_STATUS_LINE_BYTES} bytes; refusing its status until the link changes`;
        }
        // Leaving the loop destroys the response, and with it the tunnel stream.
        if (fatal !== undefined) return fatal;
      }
    } catch {
      // A reset or aborted stream is retried by the caller.
    }
    if (signal.aborted) response.destroy();
    return undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#abort.abort();
    await this.#loop;
  }
}
