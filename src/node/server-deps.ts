/** What the HTTP surface and both transports of the request pipeline are built from (node.ts fills it). */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import type { ProviderName } from '../providers/index.ts';
import type { TokenTable } from './auth.ts';
import type { Config } from './config-schema.ts';
import type { CallerLimits } from './caller-limits.ts';
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
  limits: CallerLimits;
  metrics: Metrics;
  upstreamIdleTimeoutMs: number;
  /** Slow-loris bounds: a request head within headersTimeoutMs, the whole request within requestTimeoutMs. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}
