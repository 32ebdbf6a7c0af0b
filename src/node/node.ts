/**
 * Composition root: builds a node from a validated config. Start order is written once here;
 * close() runs it backwards (stop intake, drain ≤ 10 s, stop timers and watchers, flush logs).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { onceClose, systemClock, type Clock } from '../lib/index.ts';
import { DisabledCredentials, type ProviderPool } from '../pool/index.ts';
import { PROVIDERS, type ProviderName } from '../providers/index.ts';
import { TokenTable } from './auth.ts';
import { buildPool } from './build-pools.ts';
import type { ConfigChange } from './config-diff.ts';
import type { Config } from './config-schema.ts';
import { NodeReloader } from './reload.ts';
import { Mesh, TUNNEL_PATH, type TunnelListener } from './mesh.ts';
import { createLogger } from './logger.ts';
import { buildServer, callerOfRequest, type ServerDeps } from './server.ts';
import { WebSocketProxy } from './websocket-proxy.ts';
import { Ledger } from './ledger.ts';
import { LocalSharedState } from './local-shared-state.ts';
import { Attribution } from './attribution.ts';
import { consumerRows } from './caller-limits.ts';
import { InFlight } from './in-flight.ts';
import { CallerConcurrency } from './caller-concurrency.ts';
import { Metrics } from './metrics.ts';
import { REVERSE_SERVICES } from './sing-box-peers.ts';
import { Alerts, type DeliveryOptions } from './alerts/index.ts';
import { AdminActions } from './admin-actions.ts';

export interface NodeOptions {
  clock?: Clock;
  logger?: Logger;
  /** How long close() waits for in-flight requests before cutting them (ARCHITECTURE.md › Lifecycle). */
  drainMs?: number;
  /** Extra CA for peers with a private certificate (wss/https). */
  peerCa?: string | Buffer;
  /** An upstream silent this long (head or body) fails the request; default 5 min. */
  upstreamIdleTimeoutMs?: number;
  /** Slow-loris bounds (defaults 20 s for the head, 60 s for the whole request). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Alert delivery bounds (tests use short retry delays). */
  alertDelivery?: Partial<DeliveryOptions>;
  /** Overrides the config's `tunnel` section (tests use short keepalive timings). */
  tunnel?: ConstructorParameters<typeof Mesh>[0]['session'];
  /** How long a reload lets removed credentials and peers' tunnels finish their requests; default 5 min. */
  reloadDrainMs?: number;
}

export interface RunningNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly pools: Partial<Record<ProviderName, ProviderPool>>;
  /** Path of the usage ledger (state_dir/usage.jsonl). */
  readonly ledgerPath: string;
  /** Called when a peer's tunnel comes up or goes down. */
  onTunnel(listener: TunnelListener): () => void;
  isTunnelUp(peerName: string): boolean;
  /** The config the node runs now: the last reload's, with restart-only keys as started. */
  readonly config: Config;
  /** Applies `config` in place (CONFIG.md › Reloading); resolves with what changed. */
  reload(config: Config): Promise<ConfigChange>;
  close(): Promise<void>;
}

export async function startNode(config: Config, options: NodeOptions = {}): Promise<RunningNode> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log_level, name: config.name });
  const shutdown = new AbortController();
  const callers = [...config.users.map((user) => `user:${user.name}`), ...config.peers.map((peer) => `peer:${peer.name}`), 'admin:admin'];
  const state = new LocalSharedState({
    stateDir: config.state_dir,
    logger: logger.child({ component: 'state' }),
    callers,
    now: () => clock.now(),
  });
  await state.load();
  // Before the pools, so no credential takes a request in the moment before its mark is read.
  const disabled = new DisabledCredentials();
  state.credentials.registerSection('disabled', disabled);
  const mesh = new Mesh({ config, clock, logger, ca: options.peerCa, session: options.tunnel });
  const pools: Partial<Record<ProviderName, ProviderPool>> = {};
  const poolDeps = {
    clock,
    logger,
    state,
    mesh,
    peers: config.peers,
    disabled,
    maxStreams: config.tunnel.max_streams,
    maxQueued: config.request_budget.concurrent,
  };
  for (const provider of PROVIDERS) {
    const section = config[provider.name];
    if (section !== undefined) pools[provider.name] = await buildPool(provider, section, poolDeps);
  }
  const unsubscribeState = Object.values(pools).map((pool) => pool.onChange(() => state.credentials.scheduleSave()));
  const drainMs = options.drainMs ?? 10_000;

  const ledger = new Ledger(config.state_dir, logger.child({ component: 'ledger' }));
  const inFlight = new InFlight();
  let limits: CallerConcurrency | undefined;
  const metrics = new Metrics({
    pools: () => pools,
    tunnels: () => mesh.tunnels(),
    callers: () => limits?.stats() ?? [],
    now: () => clock.now(),
    consumers: () =>
      Object.keys(pools).flatMap((provider) =>
        consumerRows(state.consumption, config, provider, clock.now()).map((row) => ({
          provider,
          caller: row.caller,
          kind: row.kind,
          fiveHour: row.five_hour_percent,
          weekly: row.weekly_percent,
        })),
      ),
  });
  limits = new CallerConcurrency({
    maxWaiting: config.request_budget.concurrent,
    onRefusal: (caller, limit) => {
      metrics.limitRefusals.inc({ caller, limit });
      // `user:alice` / `peer:laptop`: the operator hears of a caller at its limit once per episode.
      const [kind, ...name] = caller.split(':');
      if (kind === 'user' || kind === 'peer')
        alerts.limitReached({ kind, name: name.join(':'), limit: `limits.${limit}`, detail: 'refused with 429' });
    },
  });
  const seenUp = new Set<string>();
  mesh.onTunnel((peer, isUp) => {
    if (isUp && seenUp.has(peer)) metrics.tunnelReconnects.inc({ peer });
    if (isUp) seenUp.add(peer);
  });
  const alerts = new Alerts({
    alerts: config.alerts,
    nodeName: config.name,
    clock,
    logger,
    delivery: options.alertDelivery,
    counters: (index) => ({
      sent: () => metrics.alerts.inc({ alert: String(index), result: 'sent' }),
      failed: () => metrics.alerts.inc({ alert: String(index), result: 'failed' }),
      dropped: () => metrics.alerts.inc({ alert: String(index), result: 'dropped' }),
    }),
  });
  for (const pool of Object.values(pools)) alerts.watchPool(pool);
  const unsubscribeAlertTunnels = mesh.onTunnel((peer, isUp) => alerts.tunnel(peer, isUp));
  const serverDeps: ServerDeps = {
    ledger,
    alerts,
    inFlight,
    limits,
    metrics,
    admin: new AdminActions({ pools, disabled, save: () => state.credentials.save(), clock, logger: logger.child({ component: 'admin' }) }),
    upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 300_000,
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    config,
    tokens: new TokenTable(config),
    pools,
    clock,
    logger,
    shutdown: shutdown.signal,
    peerOfSocket: (socket) => mesh.peerOfSocket(socket),
    https: config.tls && { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
    attribution: new Attribution(state.consumption, logger.child({ component: 'attribution' })),
    consumption: state.consumption,
  };
  const startedTls = serverDeps.https;
  const reloader = new NodeReloader({
    deps: serverDeps,
    mesh,
    state,
    disabled,
    clock,
    logger,
    drainMs: options.reloadDrainMs ?? 300_000,
    onPoolAdded: (pool) => {
      unsubscribeState.push(pool.onChange(() => state.credentials.scheduleSave()));
      alerts.watchPool(pool);
    },
    tlsFilesChanged: () => startedTls !== undefined && config.tls !== undefined && !sameFiles(config.tls, startedTls),
  });
  const app = buildServer(serverDeps);
  // One WebSocket relay per provider that speaks WebSocket, keyed by its upgrade path.
  const webSockets = new Map(
    PROVIDERS.flatMap((provider) =>
      'websocket' in provider
        ? [[provider.websocket.path, new WebSocketProxy(serverDeps, provider, (request) => callerOfRequest(serverDeps, request))] as const]
        : [],
    ),
  );
  mesh.attach(app.server);
  app.server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    const relay = path === undefined ? undefined : webSockets.get(path);
    const reverseService = path === undefined ? undefined : REVERSE_SERVICES.get(path);
    if (path === TUNNEL_PATH) mesh.handleUpgrade(request, socket, head);
    else if (reverseService !== undefined) mesh.handleReverseUpgrade(request, socket, head, reverseService);
    else if (relay !== undefined) relay.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  const { host, port } = splitListen(config.listen);
  // A burst of as many new connections as the node will hold requests must be accepted and
  // answered; Node's default backlog (511) reset the rest (found by issue 15's 1 000-request flood).
  await app.listen({ host, port, backlog: Math.max(511, config.request_budget.concurrent) });
  const address = app.server.address() as AddressInfo;
  const scheme = config.tls ? 'https' : 'http';
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info({ listen: `${urlHost}:${address.port}` }, 'node listening');

  const close = onceClose(async () => {
    // Stop intake (new requests get 503), end status watchers at once, drain in-flight requests.
    const closing = app.close();
    shutdown.abort();
    // Before the tunnels close: our own GoAways are not a peer going down.
    unsubscribeAlertTunnels();
    alerts.close();
    const drained = await inFlight.drained(drainMs);
    for (const relay of webSockets.values()) relay.close();
    if (!drained) logger.warn({ inFlight: inFlight.count }, 'drain timed out; cutting remaining requests');
    app.server.closeAllConnections();
    // Our own status streams and polls stop before the GoAway, so no tunnel waits out its grace;
    // the tunnels' upgraded sockets are what the server's close() is still waiting for.
    unsubscribeState.forEach((unsubscribe) => unsubscribe());
    await reloader.close();
    await state.close();
    await Promise.all(Object.values(pools).map((pool) => pool.close()));
    await mesh.close();
    await closing;
    ledger.close();
    logger.info('node stopped');
    logger.flush();
  });
  return {
    name: config.name,
    url: `${scheme}://${urlHost}:${address.port}`,
    port: address.port,
    pools,
    ledgerPath: ledger.path,
    onTunnel: (listener) => mesh.onTunnel(listener),
    isTunnelUp: (peerName) => mesh.isUp(peerName),
    get config() {
      return serverDeps.config;
    },
    reload: (next) => reloader.reload(next),
    close,
  };
}

/** Whether the files at `paths` still hold what the listener was started with (unreadable = changed). */
function sameFiles(paths: { cert: string; key: string }, started: { cert: Buffer; key: Buffer }): boolean {
  try {
    return readFileSync(paths.cert).equals(started.cert) && readFileSync(paths.key).equals(started.key);
  } catch {
    return false;
  }
}

function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) };
}
