/**
 * Composition root: builds a node from a validated config. Start order is written once here;
 * close() runs it backwards (stop intake, drain ≤ 10 s, stop timers and watchers, flush logs).
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { onceClose, systemClock, type Clock } from '../lib/index.ts';
import type { ProviderPool } from '../pool/index.ts';
import { PROVIDERS, type ProviderName } from '../providers/index.ts';
import { TokenTable } from './auth.ts';
import { buildPool } from './build-pools.ts';
import type { Config } from './config-schema.ts';
import { Mesh, TUNNEL_PATH, type TunnelListener } from './mesh.ts';
import { createLogger, type LogFormat } from './logger.ts';
import { buildServer, callerOfRequest, type ServerDeps } from './server.ts';
import { WebSocketProxy } from './websocket-proxy.ts';
import { Ledger } from './ledger.ts';
import { StateStore } from './state-store.ts';
import { InFlight } from './in-flight.ts';
import { CallerLimits } from './caller-limits.ts';
import { Metrics } from './metrics.ts';

export interface NodeOptions {
  clock?: Clock;
  logger?: Logger;
  /** Used when no logger is given; `pretty` for people at a terminal. */
  logFormat?: LogFormat;
  /** How long close() waits for in-flight requests before cutting them (ARCHITECTURE.md › Lifecycle). */
  drainMs?: number;
  /** Extra CA for peers with a private certificate (wss/https). */
  peerCa?: string | Buffer;
  /** An upstream silent this long (head or body) fails the request; default 5 min. */
  upstreamIdleTimeoutMs?: number;
  /** Slow-loris bounds (defaults 20 s for the head, 60 s for the whole request). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Overrides the config's `tunnel` section (tests use short keepalive timings). */
  tunnel?: ConstructorParameters<typeof Mesh>[0]['session'];
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
  close(): Promise<void>;
}

export async function startNode(config: Config, options: NodeOptions = {}): Promise<RunningNode> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.log_level, name: config.name, format: options.logFormat });
  const shutdown = new AbortController();
  const state = new StateStore(config.state_dir, logger.child({ component: 'state' }));
  await state.load();
  const mesh = new Mesh({ config, clock, logger, ca: options.peerCa, session: options.tunnel });
  const pools: Partial<Record<ProviderName, ProviderPool>> = {};
  const poolDeps = {
    clock,
    logger,
    state,
    mesh,
    peers: config.peers,
    maxStreams: config.tunnel.max_streams,
    maxQueued: config.request_budget.concurrent,
  };
  for (const provider of PROVIDERS) {
    const section = config[provider.name];
    if (section !== undefined) pools[provider.name] = await buildPool(provider, section, poolDeps);
  }
  const unsubscribeState = Object.values(pools).map((pool) => pool.onChange(() => state.scheduleSave()));

  const ledger = new Ledger(config.state_dir, logger.child({ component: 'ledger' }));
  const inFlight = new InFlight();
  let limits: CallerLimits | undefined;
  const metrics = new Metrics({
    pools: () => pools,
    tunnels: () => mesh.tunnels(),
    callers: () => limits?.stats() ?? [],
    now: () => clock.now(),
  });
  limits = new CallerLimits({
    maxWaiting: config.request_budget.concurrent,
    onRefusal: (caller, limit) => metrics.limitRefusals.inc({ caller, limit }),
  });
  const seenUp = new Set<string>();
  mesh.onTunnel((peer, isUp) => {
    if (isUp && seenUp.has(peer)) metrics.tunnelReconnects.inc({ peer });
    if (isUp) seenUp.add(peer);
  });
  const serverDeps: ServerDeps = {
    ledger,
    inFlight,
    limits,
    metrics,
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
  };
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
    if (path === TUNNEL_PATH) mesh.handleUpgrade(request, socket, head);
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
    const drained = await inFlight.drained(options.drainMs ?? 10_000);
    for (const relay of webSockets.values()) relay.close();
    if (!drained) logger.warn({ inFlight: inFlight.count }, 'drain timed out; cutting remaining requests');
    app.server.closeAllConnections();
    // Our own status streams and polls stop before the GoAway, so no tunnel waits out its grace;
    // the tunnels' upgraded sockets are what the server's close() is still waiting for.
    unsubscribeState.forEach((unsubscribe) => unsubscribe());
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
    close,
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(listen.slice(colon + 1)) };
}
