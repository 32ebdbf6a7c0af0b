/**
 * Follows a peer's `GET /v1/status?provider=X&watch=true` (PROTOCOL.md › Node-to-node requests):
 * each NDJSON frame is the peer's aggregate for what it shares with us. Reconnects with backoff (1
 * s doubling to 30 s, reset after a stream that lived a minute) on transport errors and ends; a 4xx
 * or a garbled payload will not fix itself, so it stops and reports (sing-box `99e19e70`) until the
 * link changes (a tunnel coming up restarts it, sing-box `6b8838d3`).
 */
import type { IncomingMessage } from 'node:http';
import { errorMessage, exponentialDelayMs, sleep, type Clock } from '../lib/index.ts';
import type { CredentialState, Provider } from '../status/index.ts';
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

export function parseStatusFrame(value: unknown): PeerStatusFrame | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const frame = value as Record<string, unknown>;
  const number = (key: string): number | undefined => {
    const field = frame[key];
    return typeof field === 'number' && Number.isFinite(field) && field >= 0 ? field : undefined;
  };
  const fiveHourUtilization = number('five_hour_utilization');
  const weeklyUtilization = number('weekly_utilization');
  const planWeight = number('plan_weight');
  if (fiveHourUtilization === undefined || weeklyUtilization === undefined || planWeight === undefined) return undefined;
  const state = STATES.includes(frame.state as CredentialState) ? (frame.state as CredentialState) : 'usable';
  return {
    fiveHourUtilization: Math.min(fiveHourUtilization, 100),
    fiveHourReset: number('five_hour_reset') ?? 0,
    weeklyUtilization: Math.min(weeklyUtilization, 100),
    weeklyReset: number('weekly_reset') ?? 0,
    planWeight,
    state,
    retryAt: number('retry_at') ?? 0,
  };
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
      let response: IncomingMessage;
      try {
        response = await forward({
          baseUrl: route.baseUrl,
          pathAndQuery: `/v1/status?provider=${this.#options.provider}&watch=true`,
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

  /** Reads frames until the stream ends; returns a fatal problem, or undefined for a plain end. */
  async #consume(response: IncomingMessage, signal: AbortSignal): Promise<string | undefined> {
    let pending = '';
    try {
      for await (const chunk of response) {
        pending += (chunk as Buffer).toString('utf8');
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line === '') continue;
          let frame: PeerStatusFrame | undefined;
          try {
            frame = parseStatusFrame(JSON.parse(line));
          } catch (error) {
            return `peer ${this.#options.link.peerName} sent an unreadable status frame (${errorMessage(error)})`;
          }
          if (frame === undefined) return `peer ${this.#options.link.peerName} sent a status frame without the required keys`;
          this.#options.onProblem(undefined);
          this.#options.onFrame(frame);
        }
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
