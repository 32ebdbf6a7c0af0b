/** What the HTTP surface and both transports of the request pipeline are built from (node.ts fills it). */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { ConsumptionStore, ProviderPool } from '../pool/index.ts';
import type { ProviderName } from '../providers/index.ts';
import type { Attribution } from './attribution.ts';
import type { AdminActions } from './admin-actions.ts';
import type { TokenTable } from './auth.ts';
import type { Alerts } from './alerts/index.ts';
import type { Config } from './config-schema.ts';
import type { CallerConcurrency } from './caller-concurrency.ts';
import type { InFlight } from './in-flight.ts';
import type { Ledger } from './ledger.ts';
import type { Metrics } from './metrics.ts';

export interface ServerDeps {
  config: Config;
  tokens: TokenTable;
  pools: Partial<Record<ProviderName, ProviderPool>>;
  clock: Clock;
  logger: Logger;
  shutdown: AbortSignal;
  /** Requests that arrive over a peer's tunnel belong to that peer. */
  peerOfSocket?: (socket: Socket) => string | undefined;
  https?: { cert: Buffer; key: Buffer };
  ledger: Ledger;
  inFlight: InFlight;
  /** Each user's and peer's `limits` (concurrent, requests_per_minute). */
  limits: CallerConcurrency;
  metrics: Metrics;
  /** Told when a user or peer is refused for a limit (`limit_reached`). */
  alerts?: Alerts;
  /** The admin API's actions on credentials (docs/ADMIN.md). */
  admin: AdminActions;
  upstreamIdleTimeoutMs: number;
  /** Slow-loris bounds: a request head within headersTimeoutMs, the whole request within requestTimeoutMs. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Issue 15: what each caller's requests cost (attribution.ts) and the store of it. */
  attribution?: Attribution;
  consumption?: ConsumptionStore;
}
