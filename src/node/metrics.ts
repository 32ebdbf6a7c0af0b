/**
 * `GET /metrics` (admin token) in Prometheus text format. One registry per node (no global
 * state); counters are bumped by the proxy and the mesh, while utilization, state and tunnel
 * gauges are read from the pools and sessions at scrape time, so they are never stale.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CredentialStats, ProviderPool } from '../pool/index.ts';
import type { Provider } from '../status/index.ts';

export interface MetricsSources {
  pools: () => Partial<Record<Provider, ProviderPool>>;
  tunnels: () => Array<{ peer: string; isUp: boolean; openStreams: number }>;
  /** Callers with a `concurrent` limit: requests in flight and waiting (caller-concurrency.ts). */
  callers: () => Array<{ caller: string; inFlight: number; waiting: number }>;
  now: () => number;
  /** Issue 15: every user's and peer's consumption, in points of its route (caller-limits.ts). */
  consumers?: () => Array<{ provider: string; caller: string; kind: string; fiveHour: number; weekly: number }>;
}

const STATES = ['usable', 'rate_limited', 'unavailable'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'provider' | 'credential' | 'status'>;
  readonly failovers: Counter<'provider' | 'credential' | 'reason'>;
  readonly upstreamLatency: Histogram<'provider' | 'credential'>;
  readonly tunnelReconnects: Counter<'peer'>;
  /** The request budget in use (request-budget.ts): buffered body bytes and requests held. */
  readonly budgetBodyBytes: Gauge;
  readonly budgetRequests: Gauge;
  /** Alert events per receiver (its index in `alerts`): sent, failed after every retry, dropped from a full queue. */
  readonly alerts: Counter<'alert' | 'result'>;
  /** Requests refused by a caller's `limits`, by caller (`user:alice`) and limit. */
  readonly limitRefusals: Counter<'caller' | 'limit'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'quotamesh_requests_total',
      help: 'Proxied requests by final status',
      labelNames: ['provider', 'credential', 'status'],
      registers,
    });
    this.failovers = new Counter({
      name: 'quotamesh_failovers_total',
      help: 'Requests moved to another credential before the first byte',
      labelNames: ['provider', 'credential', 'reason'],
      registers,
    });
    this.upstreamLatency = new Histogram({
      name: 'quotamesh_upstream_latency_seconds',
      help: 'Time from sending upstream to the response head',
      labelNames: ['provider', 'credential'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.budgetBodyBytes = new Gauge({
      name: 'quotamesh_request_body_bytes_held',
      help: 'Request body bytes reserved by requests in flight (request_budget)',
      registers,
    });
    this.budgetRequests = new Gauge({
      name: 'quotamesh_requests_held',
      help: 'Proxied HTTP requests in flight (request_budget)',
      registers,
    });
    new Gauge({
      name: 'quotamesh_caller_consumption_percent',
      help: "Points of its route's aggregate window a user or peer consumed in the last 5 h / 7 d",
      labelNames: ['provider', 'caller', 'kind', 'window'],
      registers,
      collect() {
        this.reset();
        for (const row of sources.consumers?.() ?? []) {
          this.set({ provider: row.provider, caller: row.caller, kind: row.kind, window: 'five_hour' }, row.fiveHour);
          this.set({ provider: row.provider, caller: row.caller, kind: row.kind, window: 'weekly' }, row.weekly);
        }
      },
    });
    this.alerts = new Counter({
      name: 'quotamesh_alerts_total',
      help: 'Alert events by receiver (index in alerts) and result: sent, failed (every retry spent), dropped (queue full)',
      labelNames: ['alert', 'result'],
      registers,
    });
    this.limitRefusals = new Counter({
      name: 'quotamesh_limit_refusals_total',
      help: "Requests refused by a caller's limits (concurrent, requests_per_minute)",
      labelNames: ['caller', 'limit'],
      registers,
    });
    new Gauge({
      name: 'quotamesh_caller_in_flight',
      help: 'Requests in flight of a caller with a concurrent limit',
      labelNames: ['caller'],
      registers,
      collect() {
        this.reset();
        for (const entry of sources.callers()) this.set({ caller: entry.caller }, entry.inFlight);
      },
    });
    new Gauge({
      name: 'quotamesh_caller_queue_depth',
      help: 'Requests waiting for one of their caller’s concurrent slots',
      labelNames: ['caller'],
      registers,
      collect() {
        this.reset();
        for (const entry of sources.callers()) this.set({ caller: entry.caller }, entry.waiting);
      },
    });
    new Gauge({
      name: 'quotamesh_credential_in_flight',
      help: 'Requests in flight on a credential (against max_concurrent, or a peer tunnel’s stream bound)',
      labelNames: ['provider', 'credential'],
      registers,
      collect() {
        this.reset();
        for (const [provider, pool] of Object.entries(sources.pools())) {
          for (const entry of pool?.slotStats().credentials ?? []) this.set({ provider, credential: entry.tag }, entry.inFlight);
        }
      },
    });
    new Gauge({
      name: 'quotamesh_credentials_at_cap',
      help: 'Credentials carrying as many requests as they may',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const [provider, pool] of Object.entries(sources.pools())) {
          if (pool !== undefined) this.set({ provider }, pool.slotStats().credentials.filter((entry) => entry.isAtCap).length);
        }
      },
    });
    new Gauge({
      name: 'quotamesh_credential_queue_depth',
      help: 'Requests waiting because every usable credential of their route is at its cap',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const [provider, pool] of Object.entries(sources.pools())) {
          if (pool !== undefined) this.set({ provider }, pool.slotStats().waiting);
        }
      },
    });
    this.tunnelReconnects = new Counter({
      name: 'quotamesh_tunnel_reconnects_total',
      help: 'Tunnels that came up again after going down',
      labelNames: ['peer'],
      registers,
    });
    new Counter({
      name: 'quotamesh_token_refreshes_total',
      help: 'OAuth token refresh attempts by result',
      labelNames: ['provider', 'credential', 'result'],
      registers,
      collect() {
        this.reset();
        forEachStats(sources, (provider, tag, stats) => {
          this.inc({ provider, credential: tag, result: 'ok' }, stats.refreshes);
          this.inc({ provider, credential: tag, result: 'failed' }, stats.refreshFailures);
        });
      },
    });
    new Counter({
      name: 'quotamesh_usage_poll_failures_total',
      help: 'Failed usage polls',
      labelNames: ['provider', 'credential'],
      registers,
      collect() {
        this.reset();
        forEachStats(sources, (provider, tag, stats) => this.inc({ provider, credential: tag }, stats.pollFailures));
      },
    });

    new Gauge({
      name: 'quotamesh_credential_utilization_percent',
      help: 'Last known utilization of a credential window',
      labelNames: ['provider', 'credential', 'window'],
      registers,
      collect() {
        this.reset();
        forEachSnapshot(sources, (provider, snapshot) => {
          this.set({ provider, credential: snapshot.tag, window: '5h' }, snapshot.fiveHour.utilization);
          this.set({ provider, credential: snapshot.tag, window: 'weekly' }, snapshot.weekly.utilization);
        });
      },
    });
    new Gauge({
      name: 'quotamesh_credential_state',
      help: '1 for the state a credential is in',
      labelNames: ['provider', 'credential', 'state'],
      registers,
      collect() {
        this.reset();
        forEachSnapshot(sources, (provider, snapshot) => {
          for (const state of STATES) this.set({ provider, credential: snapshot.tag, state }, snapshot.state === state ? 1 : 0);
        });
      },
    });
    new Gauge({
      name: 'quotamesh_credential_disabled',
      help: '1 while an operator has a credential disabled (docs/ADMIN.md); its state gauge shows what it would be otherwise',
      labelNames: ['provider', 'credential'],
      registers,
      collect() {
        this.reset();
        for (const [provider, pool] of Object.entries(sources.pools())) {
          for (const snapshot of pool?.allSnapshots(sources.now()) ?? []) {
            this.set({ provider, credential: snapshot.tag }, pool?.isDisabled(snapshot.tag) === true ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'quotamesh_credential_plan_weight',
      help: 'Plan weight of a credential',
      labelNames: ['provider', 'credential'],
      registers,
      collect() {
        this.reset();
        forEachSnapshot(sources, (provider, snapshot) => this.set({ provider, credential: snapshot.tag }, snapshot.planWeight));
      },
    });
    new Gauge({
      name: 'quotamesh_tunnel_up',
      help: '1 while a peer tunnel is up',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const tunnel of sources.tunnels()) this.set({ peer: tunnel.peer }, tunnel.isUp ? 1 : 0);
      },
    });
    new Gauge({
      name: 'quotamesh_tunnel_open_streams',
      help: 'Open yamux streams on a peer tunnel',
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const tunnel of sources.tunnels()) this.set({ peer: tunnel.peer }, tunnel.openStreams);
      },
    });
  }
}

function forEachStats(sources: MetricsSources, visit: (provider: string, tag: string, stats: CredentialStats) => void): void {
  for (const [provider, pool] of Object.entries(sources.pools())) {
    for (const { tag, stats } of pool?.credentialStats() ?? []) visit(provider, tag, stats);
  }
}

function forEachSnapshot(
  sources: MetricsSources,
  visit: (provider: string, snapshot: ReturnType<ProviderPool['allSnapshots']>[number]) => void,
): void {
  const nowMs = sources.now();
  for (const [provider, pool] of Object.entries(sources.pools())) {
    for (const snapshot of pool?.allSnapshots(nowMs) ?? []) visit(provider, snapshot);
  }
}
