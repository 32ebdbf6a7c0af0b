/**
 * Codex over WebSocket (`GET /v1/responses` + upgrade, PROTOCOL.md › HTTP surface): pick a
 * credential and open the upstream socket first, failing over on a refused handshake (a 429 there
 * moves to the next credential); only then complete the client's upgrade and relay frames both
 * ways. `codex.rate_limits` events teach the credential and reach the client as the pool aggregate;
 * a session whose credential becomes unusable is closed cleanly so the client reconnects.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { errorMessage, toUnixSeconds } from '../lib/index.ts';
import { CredentialUnavailableError, type Credential } from '../pool/index.ts';
import { aggregateProvider } from '../status/index.ts';
import { aggregateRateLimitsEvent, codexAdapter, codexEventOutcome, codexUsageTap } from '../upstream/index.ts';
import { accessFor, type Access } from './access.ts';
import type { Caller } from './auth.ts';
import { errorBody, errors } from './error-reply.ts';
import { exhaustedError } from './exhausted.ts';
import { connectUpstream } from './codex-websocket-upstream.ts';
import type { ServerDeps } from './server.ts';
import { MAX_HOPS, parseVia, VIA_HEADER } from './via.ts';
import type { QuotaMeshError } from '../lib/index.ts';

const DEFAULT_OPENAI_BETA = 'responses_websockets=2026-02-06';
const HANDSHAKE_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

export class CodexWebSocketProxy {
  readonly #deps: ServerDeps;
  readonly #callerOf: (request: IncomingMessage) => Caller | undefined;
  readonly #server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  readonly #sessions = new Set<{ client: WebSocket; upstream: WebSocket }>();

  constructor(deps: ServerDeps, callerOf: (request: IncomingMessage) => Caller | undefined) {
    this.#deps = deps;
    this.#callerOf = callerOf;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.#upgrade(request, socket, head).catch((error: unknown) => {
      this.#deps.logger.error({ err: errorMessage(error) }, 'codex websocket upgrade failed');
      socket.destroy();
    });
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const caller = this.#callerOf(request);
    if (caller === undefined) return refuse(socket, errors.unauthenticated());
    const via = parseVia(request.headers[VIA_HEADER]);
    if (via.includes(this.#deps.config.name) || via.length > MAX_HOPS) return refuse(socket, errors.loop(via));
    const pool = this.#deps.pools.codex;
    const access = accessFor(this.#deps.config, caller, 'codex');
    if (pool === undefined || access === undefined) return refuse(socket, errors.forbidden('Codex is not shared with you on this node'));
    const session = request.headers['session_id'] ?? request.headers['session-id'];
    const sessionId = typeof session === 'string' && session !== '' ? session : undefined;
    const tried = new Set<Credential>();
    let lastRefusal: { status: number; body: Buffer } | undefined;
    for (;;) {
      const { clock } = this.#deps;
      const credential = pool.select(access.routeTag, { sessionId, allowExternal: access.allowExternal, exclude: tried }, clock.now());
      if (credential === undefined) break;
      tried.add(credential);
      let target;
      try {
        target = await credential.target();
      } catch (error) {
        if (error instanceof CredentialUnavailableError) continue;
        throw error;
      }
      const headers = codexAdapter.requestHeaders(stripHandshake(request.headers), target.headers, credential.type === 'default');
      delete headers[VIA_HEADER];
      if (credential.type === 'external') headers[VIA_HEADER] = [...via, this.#deps.config.name].join(',');
      // Codex sends this itself; a client that does not still needs it upstream (sing-box `016e5e1b`).
      headers['openai-beta'] ??= DEFAULT_OPENAI_BETA;
      const path = codexAdapter.upstreamPath(request.url ?? '/v1/responses', credential.type === 'default');
      const url = `${target.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}${path}`;
      const result = await connectUpstream(url, headers, target.agent);
      if (result.kind === 'open') {
        credential.observe({ status: 200, headers: result.headers }, clock.now());
        return this.#accept(request, socket, head, { caller, access, credential, upstream: result.socket });
      }
      credential.observe({ status: result.status, headers: result.headers, body: result.body.toString('utf8') }, clock.now());
      if (result.status !== 0 && result.status !== 429 && result.status !== 401 && result.status !== 403 && result.status < 500) {
        return refuseRaw(socket, result.status, result.body);
      }
      if (result.status !== 0) lastRefusal = { status: result.status, body: result.body };
      this.#deps.metrics.failovers.inc({ provider: 'codex', credential: credential.tag, reason: String(result.status || 'transport') });
    }
    const nowMs = this.#deps.clock.now();
    const exhausted = exhaustedError(pool.snapshots(access.routeTag, access.allowExternal, nowMs), nowMs, undefined);
    if (exhausted.status !== 429 && lastRefusal !== undefined && lastRefusal.status !== 429) return refuseRaw(socket, lastRefusal.status, lastRefusal.body);
    return refuse(socket, exhausted);
  }

  #accept(request: IncomingMessage, socket: Duplex, head: Buffer, session: { caller: Caller; access: Access; credential: Credential; upstream: WebSocket }): void {
    const { credential, upstream, access } = session;
    const { clock, pools } = this.#deps;
    const aggregate = () => aggregateProvider(pools.codex?.snapshots(access.routeTag, access.allowExternal, clock.now()) ?? [], toUnixSeconds(clock.now()));
    this.#server.handleUpgrade(request, socket, head, (client) => {
      const entry = { client, upstream };
      this.#sessions.add(entry);
      const startedMs = clock.now();
      const tap = codexUsageTap('text/event-stream');
      let model: string | undefined;
      client.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary && model === undefined) model = modelOf(data);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      });
      upstream.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) return client.send(data, { binary: true });
        const text = data.toString();
        if (text.includes('"response.completed"')) tap.push(Buffer.from(`data: ${text}\n`));
        const outcome = text.includes('codex.rate_limits') || text.includes('"error"') ? codexEventOutcome(safeParse(text), toUnixSeconds(clock.now())) : undefined;
        if (outcome !== undefined) credential.observe(outcome, clock.now());
        const isRateLimits = outcome !== undefined && outcome.status === 200;
        client.send(isRateLimits ? JSON.stringify(aggregateRateLimitsEvent(aggregate())) : text);
      });
      const stopWatching = credential.onChange(() => {
        if (!credential.isUsable(clock.now())) closeBoth(1013, 'credential became unavailable; reconnect');
      });
      const closeBoth = (code: number, reason: string): void => {
        if (client.readyState === WebSocket.OPEN) client.close(code, reason);
        if (upstream.readyState === WebSocket.OPEN) upstream.close(code === 1013 ? 1000 : code, reason);
      };
      client.on('close', (code, reason) => closeBoth(sendable(code), reason.toString()));
      upstream.on('close', (code, reason) => closeBoth(sendable(code), reason.toString()));
      client.on('error', () => upstream.terminate());
      upstream.on('error', () => client.terminate());
      client.once('close', () => {
        stopWatching();
        this.#sessions.delete(entry);
        const usage = tap.finish();
        this.#deps.ledger.append({
          time: new Date(clock.now()).toISOString(),
          user: session.caller.kind === 'peer' ? null : session.caller.name,
          peer: session.caller.kind === 'peer' ? session.caller.name : null,
          provider: 'codex',
          credential: credential.tag,
          model: model ?? null,
          input_tokens: usage?.input_tokens ?? 0,
          output_tokens: usage?.output_tokens ?? 0,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: usage?.cache_read_input_tokens ?? 0,
          status: 101,
          duration_ms: clock.now() - startedMs,
        });
      });
    });
  }

  /** Closes every relayed session (node shutdown): 1001 going away. */
  close(): void {
    for (const { client, upstream } of this.#sessions) {
      client.close(1001, 'node shutting down');
      upstream.close(1001, 'node shutting down');
    }
    this.#server.close();
  }
}

function stripHandshake(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const copy = { ...headers };
  for (const name of HANDSHAKE_HEADERS) delete copy[name];
  return copy;
}

/** 1005/1006 describe a close without a frame; they cannot be sent on. */
function sendable(code: number): number {
  return code === 1005 || code === 1006 || code < 1000 ? 1000 : code;
}

function modelOf(data: RawData): string | undefined {
  const event = safeParse(data.toString()) as { type?: unknown; model?: unknown } | undefined;
  return event?.type === 'response.create' && typeof event.model === 'string' ? event.model : undefined;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function refuse(socket: Duplex, error: QuotaMeshError): void {
  const extra = error.retryAfterSeconds !== undefined ? `retry-after: ${Math.max(1, Math.ceil(error.retryAfterSeconds))}\r\n` : '';
  refuseRaw(socket, error.status, Buffer.from(JSON.stringify(errorBody('codex', error))), extra);
}

function refuseRaw(socket: Duplex, status: number, body: Buffer, extraHeaders = ''): void {
  socket.end(`HTTP/1.1 ${status} ${status === 429 ? 'Too Many Requests' : 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n${extraHeaders}\r\n${body.toString('utf8')}`);
}
