/**
 * The narrow surface the pool and the proxy need from any credential, default or external.
 * Kept small on purpose: sing-box's credential interface grew to 33 methods, and every new
 * credential kind had to implement them all.
 */
import type { Agent } from 'node:http';
import type { CredentialSnapshot, Provider } from '../status/index.ts';
import type { PollResult } from './usage-poller.ts';

/** Where and how to send one request on this credential. */
export interface UpstreamTarget {
  /** Base URL the client's path is appended to (e.g. https://api.anthropic.com). */
  baseUrl: string;
  /** Headers to set on the outgoing request (auth, beta). */
  headers: Record<string, string>;
  /** Transport for this target: a keep-alive agent, or a tunnel's agent for external credentials. */
  agent?: Agent;
}

/**
 * Whom a refused response (401/403/429/5xx) is about (PROTOCOL.md › Errors), as the provider
 * module reads it:
 * - `account`: this credential is spent or failing (a rejected 5h/7d window, a 429 nobody
 *   explains, a 5xx): bench it, try the next one.
 * - `model`: one model family's window on this account is spent while its 5h/7d windows are
 *   not: try the next credential, bench nothing.
 * - `request`: every account would answer the same (fast mode or 1M context without extra usage,
 *   a plan without Codex, the Claude-Code-only 403): relay it unchanged, bench nothing, try no other.
 * - `disabled`: the vendor refuses the account itself (organization disabled): take the
 *   credential out for a while with the vendor's words as the reason, try the next.
 */
export type RefusalScope = 'account' | 'model' | 'request' | 'disabled';

/** What the upstream answered, as far as a credential's state is concerned. */
export interface UpstreamOutcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The body of a refused response, when the proxy read it. Codex names a 429's reset only
   * there (`error.resets_at` / `resets_in_seconds`); Claude's headers say it all.
   */
  body?: string;
  /** Whom a refusal is about; absent means `account` (today's reading of every refusal). */
  scope?: RefusalScope;
  /** The model the request asked for, so a model-scoped refusal blocks only that model's family. */
  model?: string | undefined;
}

export interface Credential {
  readonly tag: string;
  readonly type: 'default' | 'external';
  readonly provider: Provider;
  /**
   * The most requests this credential carries at once (`max_concurrent`, or a peer tunnel's
   * stream bound); undefined for no cap. The pool passes over a credential at its cap.
   */
  readonly maxConcurrent?: number;
  isUsable(nowMs: number): boolean;
  /** True while this account refuses `model`'s family (its own weekly window spent), others aside. */
  isModelBlocked?(model: string, nowMs: number): boolean;
  snapshot(nowMs: number): CredentialSnapshot;
  /** Resolves the target for one request; refreshes tokens first when needed. */
  target(signal?: AbortSignal): Promise<UpstreamTarget>;
  /** Why it cannot take a request now (a missing file, a refresh it refused); undefined when it can. */
  reason?(nowMs: number): string | undefined;
  /** Learns from a response (rate-limit headers, 429s, auth failures). */
  observe(outcome: UpstreamOutcome, nowMs: number): void;
  /**
   * After a 401/403: re-read the file, else refresh. True when a different token is now in
   * place and the request is worth one more try on this credential (PROTOCOL.md › HTTP surface,
   * failover; sing-box retries once after a refresh the same way).
   */
  recoverAuth?(status: number, body: string, signal?: AbortSignal): Promise<boolean>;
  /** An operator's reset (docs/ADMIN.md): ends this credential's cooldown and model blocks now. */
  resetCooldown?(nowMs: number): void;
  /** Asks the account's usage now (docs/ADMIN.md); default credentials only. */
  pollUsage?(): Promise<PollResult>;
  /** Counts for /metrics; default credentials only. */
  stats?(): CredentialStats;
  /** Called on every change a status watcher could see; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export interface CredentialStats {
  refreshes: number;
  refreshFailures: number;
  pollFailures: number;
}

/** A credential that cannot serve right now, with the reason the client should hear. */
export class CredentialUnavailableError extends Error {
  readonly tag: string;

  constructor(tag: string, reason: string) {
    super(`credential ${tag} is unavailable: ${reason}`);
    this.name = 'CredentialUnavailableError';
    this.tag = tag;
  }
}
