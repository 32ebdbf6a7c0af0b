/**
 * Attempts, the same for every transport: take the pool's candidates in turn, send, let the
 * credential learn from the answer, and move on while the answer says "this credential, not this
 * request" — after one auth recovery of the same credential on a 401/403. The transport says how
 * to send and how to read an answer; what to do with the final answer (relay it, or answer with
 * the exhausted error) is the caller's.
 */
import type { Logger } from 'pino';
import { errorMessage, type Clock, type SlotRefusal } from '../lib/index.ts';
import {
  CredentialUnavailableError,
  type Credential,
  type ProviderPool,
  type RefusalScope,
  type RiseClaim,
  type UpstreamOutcome,
  type UpstreamTarget,
} from '../pool/index.ts';
import type { Access } from './access.ts';
import type { Metrics } from './metrics.ts';

export interface Answer {
  status: number;
  headers: UpstreamOutcome['headers'];
}

export interface Transport<A extends Answer> {
  /** One attempt against a credential's target; throws on a transport failure. */
  send(credential: Credential, target: UpstreamTarget, signal: AbortSignal): Promise<A>;
  /** The answer's body when it is small and must be read before deciding (429, auth errors). */
  readBody(answer: A): Promise<Buffer>;
  /** An answer we will not relay. */
  discard(answer: A): void;
}

export interface FailoverDeps {
  pool: ProviderPool;
  provider: string;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** The provider module's reading of a refusal; without one every refusal is the account's. */
  refusalScope?: (outcome: UpstreamOutcome) => RefusalScope;
  /**
   * When set, each attempt holds a slot of its credential (`max_concurrent`, a tunnel's stream
   * bound) and, while every usable credential is full, the request waits in the pool's bounded
   * line until this time (clock ms). HTTP requests set it; a WebSocket session does not.
   */
  slotDeadlineMs?: number;
  /** Issue 15: the rise an answer's own headers show is claimed for this request (attribution.ts). */
  attribution?: ResponseClaims;
}

export interface ResponseClaims {
  before(provider: string, credential: Credential, nowMs: number): unknown;
  claim(provider: string, credential: Credential, nowMs: number): RiseClaim;
}

export interface Attempted<A> {
  credential: Credential;
  answer: A;
  /** Set when the body was already read. */
  body?: Buffer;
  /** Whom the refusal is about, when the answer was one (isFailoverStatus). */
  scope?: RefusalScope;
  /** Gives back this attempt's credential slot; the caller calls it when the answer is over. Idempotent. */
  release(): void;
  /** The rise in the credential's windows this answer showed (a relayed answer only). */
  claim?: RiseClaim;
}

export interface FailoverResult<A> {
  attempts: number;
  aborted: boolean;
  /** The last answer (a success, or the last refusal); undefined when nothing answered. */
  last: Attempted<A> | undefined;
  lastTransportError: unknown;
  /** Every usable credential stayed full: the line was full or the wait ran out. */
  queueRefusal?: { reason: Exclude<SlotRefusal, 'aborted'>; busy: number };
}

/**
 * True when the client should hear that the pool is spent (the exhausted answer) rather than the
 * last upstream answer: nothing answered, or the last answer was a 429 about its account. A
 * refusal about the request or one model is the vendor's to tell, in its own words.
 */
export function isExhausted(result: FailoverResult<Answer>): boolean {
  const last = result.last;
  return last === undefined || (last.answer.status === 429 && (last.scope ?? 'account') === 'account');
}

/** Statuses that say "this credential, not this request": try the next one. */
export function isFailoverStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 429 || status === 529 || status >= 500;
}

export async function failover<A extends Answer>(
  deps: FailoverDeps,
  access: Access,
  sessionId: string | undefined,
  transport: Transport<A>,
  signal: AbortSignal,
  model?: string,
): Promise<FailoverResult<A>> {
  const { clock, metrics, pool } = deps;
  const respectCaps = deps.slotDeadlineMs !== undefined;
  const selection = { sessionId, allowExternal: access.allowExternal, model, respectCaps };
  const tried = new Set<Credential>();
  const now = (): number => clock.now();
  let candidates = pool.candidates(access.routeTag, selection, now, tried);
  const result: FailoverResult<A> = { attempts: 0, aborted: false, last: undefined, lastTransportError: undefined };
  const recovered = new Set<Credential>();
  let retrySame: Credential | undefined;
  let releaseHeld: () => void = noRelease;
  for (;;) {
    let credential = retrySame;
    retrySame = undefined;
    if (credential === undefined) {
      releaseHeld();
      releaseHeld = noRelease;
      const next = candidates.next();
      credential = next.done === true ? undefined : next.value;
      if (credential === undefined && respectCaps) {
        const busy = pool.busy(access.routeTag, selection, tried, now());
        if (busy.length === 0) break;
        const outcome = await pool.slots.wait(busy, { signal, timeoutMs: (deps.slotDeadlineMs ?? 0) - now() });
        if (typeof outcome === 'string') {
          if (outcome !== 'aborted') result.queueRefusal = { reason: outcome, busy: busy.length };
          break;
        }
        credential = outcome;
        tried.add(credential);
        // The generator ended when it found no room; a fresh one goes on after this credential.
        candidates = pool.candidates(access.routeTag, selection, now, tried);
        releaseHeld = slotRelease(pool, credential);
      } else if (credential !== undefined && respectCaps) {
        // Cannot fail: the pick saw room, and nothing ran between the pick and this take.
        if (pool.slots.tryTake(credential)) releaseHeld = slotRelease(pool, credential);
      }
      if (credential === undefined) break;
    }
    result.attempts += 1;
    let answer: A;
    const sentMs = clock.now();
    try {
      answer = await transport.send(credential, await credential.target(signal), signal);
    } catch (error) {
      if (signal.aborted) {
        releaseHeld();
        break;
      }
      if (!(error instanceof CredentialUnavailableError)) {
        result.lastTransportError = error;
        credential.observe({ status: 0, headers: {} }, clock.now());
        metrics?.failovers.inc({ provider: deps.provider, credential: credential.tag, reason: 'transport' });
        deps.logger.warn({ credential: credential.tag, err: errorMessage(error) }, 'upstream transport error, trying next credential');
      }
      continue;
    }
    if (result.last !== undefined) transport.discard(result.last.answer);
    const held: Attempted<A> = { credential, answer, release: releaseHeld };
    result.last = held;
    const { status } = answer;
    // A 429's body may say when the window resets (Codex `resets_at`) and a 403's whom it refuses
    // (PROTOCOL.md › Errors); both are small, read them.
    if (status === 429 || status === 403) held.body = await transport.readBody(answer);
    const outcome: UpstreamOutcome = { status, headers: answer.headers, body: held.body?.toString('utf8'), model };
    if (isFailoverStatus(status)) outcome.scope = held.scope = deps.refusalScope?.(outcome) ?? 'account';
    deps.attribution?.before(deps.provider, credential, clock.now());
    credential.observe(outcome, clock.now());
    // Synchronously after observe(): no other answer's headers can land in between.
    if (deps.attribution !== undefined && !isFailoverStatus(status))
      held.claim = deps.attribution.claim(deps.provider, credential, clock.now());
    metrics?.upstreamLatency.observe({ provider: deps.provider, credential: credential.tag }, (clock.now() - sentMs) / 1000);
    if (!isFailoverStatus(status)) break;
    if (held.scope === 'request') {
      // Every credential would answer the same: another try only spends it and hides the message.
      deps.logger.info({ credential: credential.tag, status }, 'upstream refused the request itself; relaying it');
      break;
    }
    if ((status === 401 || status === 403) && held.scope === 'account' && credential.recoverAuth && !recovered.has(credential)) {
      held.body ??= await transport.readBody(answer);
      recovered.add(credential);
      if (await credential.recoverAuth(status, held.body.toString('utf8'), signal).catch(() => false)) {
        deps.logger.info({ credential: credential.tag, status }, 'auth recovered, retrying once');
        retrySame = credential;
        continue;
      }
    }
    deps.logger.info({ credential: credential.tag, status }, 'upstream refused, trying next credential');
    metrics?.failovers.inc({ provider: deps.provider, credential: credential.tag, reason: String(status) });
  }
  result.aborted = signal.aborted;
  return result;
}

function noRelease(): void {}

function slotRelease(pool: ProviderPool, credential: Credential): () => void {
  let isReleased = false;
  return () => {
    if (isReleased) return;
    isReleased = true;
    pool.slots.release(credential);
  };
}
