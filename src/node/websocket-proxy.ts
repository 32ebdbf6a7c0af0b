/**
 * The WebSocket transport of the request pipeline, for a provider module with a WebSocket wire
 * (Codex: `GET /v1/responses` + upgrade). The same stages as HTTP — caller, admission, failover
 * over the pool's candidates (a refused handshake moves to the next credential, a 401 gets one
 * auth recovery), record — with a different attempt (open the upstream socket) and relay
 * (websocket-relay.ts). Only once the upstream socket is open is the client's upgrade completed,
 * its 101 carrying the upstream 101's headers the client reads (the wire's `handshakeHeaders`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { errorMessage, QuotaMeshError, toUnixSeconds } from '../lib/index.ts';
import type { AnyProviderModule, WebSocketWire } from '../providers/index.ts';
import { aggregateProvider } from '../status/index.ts';
import { admit, type Admitted } from './admission.ts';
import type { Caller } from './auth.ts';
import { errorBody } from './error-reply.ts';
import { exhaustedError } from './exhausted.ts';
import { failover, isExhausted, type Transport } from './failover.ts';
import { WebSocketRelay, type OpenUpstream, type RelayDeps } from './websocket-relay.ts';
import { connectUpstream, type UpstreamConnection } from './websocket-upstream.ts';
import { recordRequest } from './request-record.ts';
import type { ServerDeps } from './server-deps.ts';
import { withVia } from './via.ts';

const HANDSHAKE_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

type WebSocketProvider = AnyProviderModule & { websocket: WebSocketWire };

export class WebSocketProxy {
  readonly #deps: ServerDeps;
  readonly #provider: WebSocketProvider;
  readonly #callerOf: (request: IncomingMessage) => Caller | undefined;
  readonly #server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  readonly #sessions = new Set<WebSocketRelay>();
  /** The upstream 101's headers waiting for the `headers` event of the client's upgrade. */
  readonly #handshakeHeaders = new WeakMap<IncomingMessage, Record<string, string>>();

  constructor(deps: ServerDeps, provider: WebSocketProvider, callerOf: (request: IncomingMessage) => Caller | undefined) {
    this.#deps = deps;
    this.#provider = provider;
    this.#callerOf = callerOf;
    this.#server.on('headers', (lines: string[], request: IncomingMessage) => {
      for (const [name, value] of Object.entries(this.#handshakeHeaders.get(request) ?? {})) lines.push(`${name}: ${value}`);
    });
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.#upgrade(request, socket, head).catch((error: unknown) => {
      this.#deps.logger.error({ err: errorMessage(error) }, 'websocket upgrade failed');
      socket.destroy();
    });
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const provider = this.#provider;
    const admitted = admit(this.#deps, provider, this.#callerOf(request), request.headers);
    if (admitted instanceof QuotaMeshError) return this.#refuse(socket, admitted);
    const { clock } = this.#deps;
    const startedMs = clock.now();
    // The caller's limits (CONFIG.md › limits): the upgrade is one request, and the session holds
    // one of its `concurrent` slots for as long as it is open.
    const overRate = this.#deps.limits.admitRate(admitted.caller, startedMs);
    if (overRate !== undefined) return this.#refuse(socket, overRate);
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    socket.once('close', onGone);
    const entered = await this.#deps.limits.enter(admitted.caller, gone.signal);
    socket.off('close', onGone);
    if (entered === 'aborted') return void socket.destroy();
    if (entered instanceof QuotaMeshError) return this.#refuse(socket, entered);
    if (socket.destroyed) entered();
    else socket.once('close', entered);
    const info = provider.routes.requestInfo(undefined, request.headers);
    const abort = new AbortController();
    const onSocketClose = (): void => abort.abort();
    socket.once('close', onSocketClose);
    const transport: Transport<UpstreamConnection> = {
      send: (credential, target) => {
        const headers = withVia(
          provider.adapter.requestHeaders(stripHandshake(request.headers), target.headers, credential.type === 'default'),
          credential.type === 'external',
          admitted.via,
          this.#deps.config.name,
        );
        for (const [name, value] of Object.entries(provider.websocket.defaultHeaders)) headers[name] ??= value;
        const path = provider.adapter.upstreamPath(request.url ?? provider.websocket.path, credential.type === 'default');
        const url = `${target.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`;
        return connectUpstream(url, headers, target.agent);
      },
      readBody: async (answer) => (answer.kind === 'refused' ? answer.body : Buffer.alloc(0)),
      discard: (answer) => {
        if (answer.kind === 'open') answer.socket.terminate();
      },
    };
    const deps = {
      pool: admitted.pool,
      provider: provider.name,
      clock,
      logger: this.#deps.logger,
      metrics: this.#deps.metrics,
      refusalScope: provider.refusalScope,
    };
    const result = await failover(deps, admitted.access, info.sessionId, transport, abort.signal);
    socket.off('close', onSocketClose);
    const held = result.last;
    const record = (status: number): void =>
      recordRequest(
        this.#deps,
        { caller: admitted.caller, provider, model: info.model, startedMs },
        held?.credential.tag,
        status,
        undefined,
      );
    if (result.aborted) {
      if (held !== undefined) transport.discard(held.answer);
      return record(499);
    }
    // A turn refused for quota moves to another credential's connection, opened the same way.
    const reopen = async (signal: AbortSignal): Promise<OpenUpstream | undefined> => {
      const again = await failover(deps, admitted.access, info.sessionId, transport, signal);
      if (again.last?.answer.kind === 'open' && !again.aborted)
        return { credential: again.last.credential, socket: again.last.answer.socket };
      if (again.last !== undefined) transport.discard(again.last.answer);
      return undefined;
    };
    if (held?.answer.kind === 'open') {
      const opened = { credential: held.credential, socket: held.answer.socket };
      return this.#accept(request, socket, head, admitted, opened, held.answer.headers, reopen, startedMs, info.model);
    }
    if (held === undefined || isExhausted(result)) {
      const nowMs = clock.now();
      const snapshots = admitted.pool.snapshots(admitted.access.routeTag, admitted.access.allowExternal, nowMs);
      const error = exhaustedError(snapshots, nowMs, result.lastTransportError);
      // The same aggregate headers as the HTTP path's 429: Codex reads its x-codex-* windows from them.
      const nowSeconds = toUnixSeconds(nowMs);
      const aggregate = error.status === 429 ? provider.adapter.aggregateHeaders(aggregateProvider(snapshots, nowSeconds), nowSeconds) : {};
      record(error.status);
      return this.#refuse(socket, error, aggregate);
    }
    // A refusal that is the request's own (400, 404) or the last credential's: relayed as sent.
    record(held.answer.status);
    return refuseRaw(socket, held.answer.status, held.answer.body);
  }

  #accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    admitted: Admitted,
    opened: OpenUpstream,
    upstreamHeaders: UpstreamConnection['headers'],
    reopen: RelayDeps['reopen'],
    startedMs: number,
    requestModel: string | undefined,
  ): void {
    const { access } = admitted;
    const { clock } = this.#deps;
    const wire = this.#provider.websocket;
    this.#handshakeHeaders.set(request, pickHandshakeHeaders(upstreamHeaders, wire.handshakeHeaders));
    this.#server.handleUpgrade(request, socket, head, (client) => {
      const tap = this.#provider.usageTap('text/event-stream');
      const relay = new WebSocketRelay(
        client,
        opened,
        {
          clock,
          logger: this.#deps.logger,
          wire,
          aggregate: () =>
            aggregateProvider(admitted.pool.snapshots(access.routeTag, access.allowExternal, clock.now()), toUnixSeconds(clock.now())),
          pushUsage: (bytes) => tap.push(bytes),
          reopen,
        },
        requestModel,
      );
      this.#sessions.add(relay);
      client.once('close', () => {
        this.#sessions.delete(relay);
        // A session is one request in the ledger and the metrics: status 101, its turns' tokens summed.
        recordRequest(
          this.#deps,
          { caller: admitted.caller, provider: this.#provider, model: relay.model, startedMs, pool: admitted.pool, access },
          relay.credential.tag,
          101,
          tap.finish(),
          undefined,
          // A session's rise reaches us through its turns' rate-limit events, not one head: it is
          // shared by tokens among the requests finished since (attribution.ts).
          { credential: relay.credential },
        );
      });
    });
  }

  #refuse(socket: Duplex, error: QuotaMeshError, headers: Record<string, string> = {}): void {
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    if (error.retryAfterSeconds !== undefined) lines.push(`retry-after: ${Math.max(1, Math.ceil(error.retryAfterSeconds))}\r\n`);
    refuseRaw(socket, error.status, Buffer.from(JSON.stringify(errorBody(this.#provider, error))), lines.join(''));
  }

  /** Closes every relayed session (node shutdown): 1001 going away. */
  close(): void {
    for (const relay of this.#sessions) relay.close();
    this.#server.close();
  }
}

function stripHandshake(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const copy = { ...headers };
  for (const name of HANDSHAKE_HEADERS) delete copy[name];
  return copy;
}

/** The upstream 101's headers the client reads (Codex: turn state, model, models etag). */
function pickHandshakeHeaders(headers: UpstreamConnection['headers'], names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    // Node's parser already refuses CR/LF in header values; a header line is still only written clean.
    if (text !== undefined && !/[\r\n]/.test(text)) picked[name] = text;
  }
  return picked;
}

function refuseRaw(socket: Duplex, status: number, body: Buffer, extraHeaders = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${status === 429 ? 'Too Many Requests' : 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${extraHeaders}\r\n${body.toString('utf8')}`,
  );
}
