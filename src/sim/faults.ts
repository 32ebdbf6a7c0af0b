import type { WindowClaim } from './account-table.ts';

/**
 * Which simulated endpoint a scripted fault replaces. Claude: `messages`, `usage`, `profile`,
 * `token`. Codex: `codex_responses` (each response, over HTTP or one WebSocket `response.create`),
 * `codex_handshake` (the WebSocket upgrade itself), `codex_usage` (wham/usage), `codex_token`
 * (`/oauth/token`).
 */
export type SimEndpoint =
  'messages' | 'usage' | 'profile' | 'token' | 'codex_responses' | 'codex_handshake' | 'codex_usage' | 'codex_token';

/**
 * One scripted misbehaviour. On `messages` every Claude kind applies; on `usage`/`profile`/`token`
 * only `rate_limit` (a plain 429 + Retry-After: those endpoints limit themselves), `server_error`,
 * `slow` and, for `token`, `omit_refresh_token` (a refresh answer without a new refresh token). The Codex
 * endpoints take the kinds FAULTS_BY_ENDPOINT lists; there `rate_limit` on `codex_responses` and
 * `codex_handshake` is the account's own `usage_limit_reached` 429 (over WebSocket an `error`
 * event), and `stream_overloaded` ends a 200 stream with `response.failed` `server_is_overloaded`.
 */
export type SimFault =
  /** 429 with unified headers; `window` is reported rejected (default five_hour). */
  | { type: 'rate_limit'; window?: WindowClaim; retryAfterSeconds?: number }
  /** 429 without any unified header (sub2api #5254); retry-after only when given. */
  | { type: 'rate_limit_bare'; retryAfterSeconds?: number }
  | { type: 'unauthorized'; reason?: 'expired' | 'revoked' | 'invalid' }
  /** 403 permission_error "OAuth token has been revoked". */
  | { type: 'revoked' }
  | { type: 'overloaded' }
  | { type: 'server_error'; status?: 500 | 502 | 503 }
  /** Wait before sending headers, then answer normally. */
  | { type: 'slow'; delayMs: number }
  /** Send `afterEvents` SSE events (headers only for JSON), then never finish. */
  | { type: 'stall'; afterEvents?: number }
  /** Send `afterEvents` SSE events, then destroy the socket. */
  | { type: 'cut'; afterEvents?: number }
  /** Token endpoint answers without `refresh_token`; the old one stays valid. */
  | { type: 'omit_refresh_token' }
  /** Codex: `afterEvents` events of a 200 stream, then `response.failed` with `server_is_overloaded`. */
  | { type: 'stream_overloaded'; afterEvents?: number };

export interface SimScriptEntry {
  /** Default `messages`. */
  endpoint?: SimEndpoint;
  /** Account id; absent = whichever account asks next. */
  account?: string;
  /** How many responses this fault replaces (default 1). */
  times?: number;
  fault: SimFault;
}

export interface PendingFault {
  endpoint: SimEndpoint;
  account: string | undefined;
  remaining: number;
  fault: SimFault;
}

const FAULTS_BY_ENDPOINT: Readonly<Record<SimEndpoint, readonly SimFault['type'][]>> = {
  messages: ['rate_limit', 'rate_limit_bare', 'unauthorized', 'revoked', 'overloaded', 'server_error', 'slow', 'stall', 'cut'],
  usage: ['rate_limit', 'server_error', 'slow'],
  profile: ['rate_limit', 'server_error', 'slow'],
  token: ['rate_limit', 'server_error', 'slow', 'omit_refresh_token'],
  codex_responses: ['rate_limit', 'unauthorized', 'server_error', 'slow', 'stall', 'cut', 'stream_overloaded'],
  codex_handshake: ['rate_limit', 'unauthorized', 'server_error', 'slow'],
  codex_usage: ['rate_limit', 'server_error', 'slow'],
  codex_token: ['rate_limit', 'server_error', 'slow', 'omit_refresh_token'],
};

/** Checks a script entry from untrusted JSON; throws an Error naming the bad field. */
export function parseScriptEntry(value: unknown): SimScriptEntry {
  if (typeof value !== 'object' || value === null) throw new Error('script entry must be an object');
  const entry = value as Record<string, unknown>;
  const endpoint = entry['endpoint'] ?? 'messages';
  if (typeof endpoint !== 'string' || !(endpoint in FAULTS_BY_ENDPOINT)) {
    throw new Error(`endpoint must be one of ${Object.keys(FAULTS_BY_ENDPOINT).join(', ')}`);
  }
  const allowed = FAULTS_BY_ENDPOINT[endpoint as SimEndpoint];
  const fault = entry['fault'] as Record<string, unknown> | undefined;
  if (typeof fault !== 'object' || fault === null || !allowed.includes(fault['type'] as SimFault['type'])) {
    throw new Error(`fault.type for ${endpoint} must be one of ${allowed.join(', ')}`);
  }
  const account = entry['account'];
  if (account !== undefined && typeof account !== 'string') throw new Error('account must be a string');
  const times = entry['times'] ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) {
    throw new Error('times must be a positive integer');
  }
  for (const field of ['retryAfterSeconds', 'delayMs', 'afterEvents', 'status']) {
    const number = fault[field];
    if (number !== undefined && (typeof number !== 'number' || number < 0)) {
      throw new Error(`fault.${field} must be a non-negative number`);
    }
  }
  if (fault['type'] === 'slow' && typeof fault['delayMs'] !== 'number') throw new Error('fault.delayMs is required');
  return { endpoint: endpoint as SimEndpoint, account, times, fault: fault as SimFault };
}

/** FIFO of scripted faults; the first entry matching endpoint and account is used. */
export class FaultScript {
  readonly #entries: PendingFault[] = [];

  add(entry: SimScriptEntry): void {
    const parsed = parseScriptEntry(entry);
    this.#entries.push({
      endpoint: parsed.endpoint ?? 'messages',
      account: parsed.account,
      remaining: parsed.times ?? 1,
      fault: parsed.fault,
    });
  }

  take(endpoint: SimEndpoint, accountId: string | undefined): SimFault | undefined {
    const index = this.#entries.findIndex(
      (entry) => entry.endpoint === endpoint && (entry.account === undefined || entry.account === accountId),
    );
    const entry = this.#entries[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#entries.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.#entries.length = 0;
  }

  pending(): PendingFault[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }
}
