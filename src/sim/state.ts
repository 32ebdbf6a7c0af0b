import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../lib/index.ts';
import {
  applyUsageUpdate,
  createAccount,
  newAccessToken,
  newRefreshToken,
  type SimAccount,
  type SimAccountSpec,
} from './accounts.ts';
import type { CodexAccountSpec, SimCodexAccount } from './codex-accounts.ts';
import { DEFAULT_CODEX_TOKEN_LIFETIME_MS } from './codex-plans.ts';
import { CodexState } from './codex-state.ts';
import { FaultScript, type PendingFault } from './faults.ts';
import { rollWindows } from './windows.ts';

export interface SimReceivedRequest {
  method: string;
  /** Path including the query string, e.g. `/v1/messages?beta=true`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  atMs: number;
  /** The `session_id` (or `session-id`) header Codex sends per conversation, when present. */
  sessionId?: string;
}

export interface SimUsageUpdate {
  /** Percent 0–100. */
  fiveHourUtilization?: number;
  weeklyUtilization?: number;
  /** Epoch ms. */
  fiveHourResetAtMs?: number;
  weeklyResetAtMs?: number;
}

export interface SimStateSnapshot {
  nowMs: number;
  accounts: SimAccount[];
  pendingFaults: PendingFault[];
  receivedCount: number;
  /** Non-control requests whose response has not closed yet (a stalled stream stays open). */
  openStreams: number;
  codexAccounts: SimCodexAccount[];
  /** Codex WebSocket sessions still open. */
  openWebSockets: number;
}

/** Enough for any test; bounded because `quotamesh sim` may run for days. */
const MAX_RECEIVED = 10_000;

/** Everything one simulator instance knows; owned by its server, never shared between instances. */
export class SimulatorState {
  readonly accounts: SimAccount[];
  readonly faults = new FaultScript();
  readonly received: SimReceivedRequest[] = [];
  readonly clock: Clock;
  readonly tokenLifetimeMs: number;
  readonly chunkDelayMs: number;
  /** See SimStateSnapshot.openStreams; lets tests see that a proxy aborted its upstream call. */
  openStreams = 0;
  /** Consumed refresh token → account id, so a reuse is still counted against its account. */
  readonly #retiredRefreshTokens = new Map<string, string>();
  /** Aborted by close(): ends scripted delays and stalled streams. */
  readonly shutdown = new AbortController();
  readonly codex: CodexState;

  constructor(options: {
    specs: SimAccountSpec[];
    clock: Clock;
    tokenLifetimeMs: number;
    chunkDelayMs: number;
    codexSpecs?: CodexAccountSpec[];
    codexTokenLifetimeMs?: number;
  }) {
    this.clock = options.clock;
    this.tokenLifetimeMs = options.tokenLifetimeMs;
    this.chunkDelayMs = options.chunkDelayMs;
    const nowMs = options.clock.now();
    this.accounts = options.specs.map((spec, index) => createAccount(spec, index, nowMs, options.tokenLifetimeMs));
    const ids = new Set(this.accounts.map((account) => account.id));
    if (ids.size !== this.accounts.length) throw new Error('simulator account ids must be unique');
    this.codex = new CodexState({
      specs: options.codexSpecs ?? [],
      clock: options.clock,
      tokenLifetimeMs: options.codexTokenLifetimeMs ?? DEFAULT_CODEX_TOKEN_LIFETIME_MS,
      takenIds: ids,
    });
  }

  account(id: string): SimAccount {
    const account = this.accounts.find((candidate) => candidate.id === id);
    if (account === undefined) throw new Error(`unknown simulator account: ${id}`);
    rollWindows(account, this.clock.now());
    return account;
  }

  byAccessToken(token: string): SimAccount | undefined {
    const account = this.accounts.find((candidate) => candidate.accessToken === token);
    if (account !== undefined) rollWindows(account, this.clock.now());
    return account;
  }

  byRefreshToken(token: string): SimAccount | undefined {
    if (token === '') return undefined;
    return this.accounts.find((candidate) => candidate.refreshToken === token && !candidate.isRevoked);
  }

  /** The account a current or retired refresh token belongs to. */
  ownerOfRefreshToken(token: string): SimAccount | undefined {
    const retiredOwner = this.#retiredRefreshTokens.get(token);
    if (retiredOwner !== undefined) return this.accounts.find((candidate) => candidate.id === retiredOwner);
    return this.accounts.find((candidate) => token !== '' && candidate.refreshToken === token);
  }

  record(entry: SimReceivedRequest): void {
    this.received.push(entry);
    if (this.received.length > MAX_RECEIVED) this.received.splice(0, this.received.length - MAX_RECEIVED);
  }

  /**
   * Rotation: both old tokens die at once. With `keepRefreshToken`
   * the response omits refresh_token and the old one must keep working.
   */
  rotate(account: SimAccount, options: { keepRefreshToken?: boolean } = {}): void {
    account.accessToken = newAccessToken();
    if (options.keepRefreshToken !== true) {
      this.#retiredRefreshTokens.set(account.refreshToken, account.id);
      account.refreshToken = newRefreshToken();
    }
    account.expiresAt = this.clock.now() + this.tokenLifetimeMs;
    account.counters.refreshes += 1;
  }

  setUsage(id: string, update: SimUsageUpdate): void {
    applyUsageUpdate(this.account(id), update);
  }

  expireToken(id: string): void {
    this.account(id).expiresAt = this.clock.now() - 1;
  }

  /** Access and refresh token both stop working, as after a logout elsewhere. */
  revokeToken(id: string): void {
    this.account(id).isRevoked = true;
  }

  snapshot(): SimStateSnapshot {
    const nowMs = this.clock.now();
    return {
      nowMs,
      accounts: this.accounts.map((account) => {
        rollWindows(account, nowMs);
        return { ...account, counters: { ...account.counters } };
      }),
      pendingFaults: this.faults.pending(),
      receivedCount: this.received.length,
      openStreams: this.openStreams,
      codexAccounts: this.codex.snapshot(),
      openWebSockets: this.codex.openWebSockets,
    };
  }
}
