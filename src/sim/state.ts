import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../lib/index.ts';
import { assertUniqueIds } from './account-table.ts';
import type { SimAccount, SimAccountSpec } from './claude/accounts.ts';
import { ClaudeState } from './claude/state.ts';
import type { CodexAccountSpec, SimCodexAccount } from './codex/accounts.ts';
import { DEFAULT_CODEX_TOKEN_LIFETIME_MS } from './codex/plans.ts';
import { CodexState } from './codex/state.ts';
import { FaultScript, type PendingFault } from './faults.ts';
import { AuthorizationCodes } from './authorization-codes.ts';
import { CodexDeviceAuths } from './codex/device-auths.ts';

export type { SimUsageUpdate } from './account-table.ts';

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

/**
 * Everything one simulator instance knows; owned by its server, never shared between instances.
 * What requests and faults share lives here; each provider's accounts live in its own half.
 */
export class SimulatorState {
  readonly claude: ClaudeState;
  readonly codex: CodexState;
  readonly faults = new FaultScript();
  /** Codes of the simulated logins (`GET /oauth/authorize`), both vendors. */
  readonly authorizationCodes = new AuthorizationCodes();
  /** Codex's device-code logins (`/api/accounts/deviceauth/*`). */
  readonly deviceAuths: CodexDeviceAuths;
  readonly received: SimReceivedRequest[] = [];
  readonly clock: Clock;
  readonly chunkDelayMs: number;
  /** See SimStateSnapshot.openStreams; lets tests see that a proxy aborted its upstream call. */
  openStreams = 0;
  /** Aborted by close(): ends scripted delays and stalled streams. */
  readonly shutdown = new AbortController();

  constructor(options: {
    specs: SimAccountSpec[];
    clock: Clock;
    tokenLifetimeMs: number;
    chunkDelayMs: number;
    codexSpecs?: CodexAccountSpec[];
    codexTokenLifetimeMs?: number;
    codexDeviceIntervalSeconds?: number;
  }) {
    this.deviceAuths = new CodexDeviceAuths(options.codexDeviceIntervalSeconds ?? 5);
    this.clock = options.clock;
    this.chunkDelayMs = options.chunkDelayMs;
    this.claude = new ClaudeState({ specs: options.specs, clock: options.clock, tokenLifetimeMs: options.tokenLifetimeMs });
    this.codex = new CodexState({
      specs: options.codexSpecs ?? [],
      clock: options.clock,
      tokenLifetimeMs: options.codexTokenLifetimeMs ?? DEFAULT_CODEX_TOKEN_LIFETIME_MS,
    });
    assertUniqueIds(this.claude.accounts, this.codex.accounts);
  }

  record(entry: SimReceivedRequest): void {
    this.received.push(entry);
    if (this.received.length > MAX_RECEIVED) this.received.splice(0, this.received.length - MAX_RECEIVED);
  }

  snapshot(): SimStateSnapshot {
    return {
      nowMs: this.clock.now(),
      accounts: this.claude.snapshot(),
      pendingFaults: this.faults.pending(),
      receivedCount: this.received.length,
      openStreams: this.openStreams,
      codexAccounts: this.codex.snapshot(),
      openWebSockets: this.codex.openWebSockets,
    };
  }
}
