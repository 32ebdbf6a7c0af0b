/**
 * One proxied request: choose a credential, send, and fail over transparently while nothing has
 * reached the client yet (PROTOCOL.md › HTTP surface). Once the response head is written the body
 * streams through chunk by chunk; a client that goes away aborts the upstream request.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage, toUnixSeconds, type Clock } from '../lib/index.ts';
import { CredentialUnavailableError, type Credential, type ProviderPool } from '../pool/index.ts';
import { aggregateProvider } from '../status/index.ts';
import { forward, inboundResponseHeaders, type ProviderAdapter } from '../upstream/index.ts';
import type { Access } from './access.ts';
import { sendError } from './error-reply.ts';
import { exhaustedError } from './exhausted.ts';
import { readSmallBody } from './small-body.ts';
import { VIA_HEADER } from './via.ts';
import type { Metrics } from './metrics.ts';

export interface ProxyRequest {
  method: string;
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  sessionId: string | undefined;
  /** Nodes this request already passed through (x-quotamesh-via), oldest first. */
  via: string[];
}

export interface ProxyDeps {
  pool: ProviderPool;
  adapter: ProviderAdapter;
  clock: Clock;
  logger: Logger;
  nodeName: string;
  metrics?: Metrics;
  /** How long an upstream may stay silent (head or body) before the request fails. */
  upstreamIdleTimeoutMs?: number;
}

/** What the proxy learned about the request's fate; the ledger and logs read it. */
export interface ProxyOutcome {
  credential: string | undefined;
  status: number;
  attempts: number;
  /** The relayed upstream response, still to be consumed by the client (undefined on errors). */
  upstream: IncomingMessage | undefined;
}

/** Statuses that say "this credential, not this request": try the next one (PROTOCOL.md › HTTP surface). */
function isFailoverStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 429 || status === 529 || status >= 500;
}

interface Held {
  credential: Credential;
  upstream: IncomingMessage;
  /** Set when the body was already read (auth errors are inspected before deciding). */
  body?: Buffer;
}

export async function proxyRequest(deps: ProxyDeps, access: Access, request: ProxyRequest, response: ServerResponse): Promise<ProxyOutcome> {
  const { pool, adapter, clock } = deps;
  const abort = new AbortController();
  const onClose = (): void => {
    if (!response.writableFinished) abort.abort();
  };
  response.once('close', onClose);
  const tried = new Set<Credential>();
  const recovered = new Set<Credential>();
  let held: Held | undefined;
  let lastTransportError: unknown;
  let attempts = 0;
  try {
    let retrySame: Credential | undefined;
    for (;;) {
      const credential =
        retrySame ?? pool.select(access.routeTag, { sessionId: request.sessionId, allowExternal: access.allowExternal, exclude: tried }, clock.now());
      retrySame = undefined;
      if (credential === undefined) break;
      tried.add(credential);
      attempts += 1;
      let upstream: IncomingMessage;
      const sentMs = clock.now();
      try {
        const target = await credential.target(abort.signal);
        upstream = await forward({
          baseUrl: target.baseUrl,
          pathAndQuery: adapter.upstreamPath(request.pathAndQuery, credential.type === 'default'),
          method: request.method,
          headers: withVia(adapter.requestHeaders(request.headers, target.headers, credential.type === 'default'), credential, request.via, deps.nodeName),
          body: request.body,
          agent: target.agent,
          signal: abort.signal,
          idleTimeoutMs: deps.upstreamIdleTimeoutMs,
        });
      } catch (error) {
        if (abort.signal.aborted) break;
        if (!(error instanceof CredentialUnavailableError)) {
          lastTransportError = error;
          credential.observe({ status: 0, headers: {} }, clock.now());
          deps.metrics?.failovers.inc({ provider: adapter.provider, credential: credential.tag, reason: 'transport' });
          deps.logger.warn({ credential: credential.tag, err: errorMessage(error) }, 'upstream transport error, trying next credential');
        }
        continue;
      }
      const status = upstream.statusCode ?? 502;
      discard(held);
      held = { credential, upstream };
      // A 429's body may say when the window resets (Codex `resets_at`); it is small, read it.
      if (status === 429) held.body = await readSmallBody(upstream);
      credential.observe({ status, headers: upstream.headers, body: held.body?.toString('utf8') }, clock.now());
      deps.metrics?.upstreamLatency.observe({ provider: adapter.provider, credential: credential.tag }, (clock.now() - sentMs) / 1000);
      if (!isFailoverStatus(status)) break;
      if ((status === 401 || status === 403) && credential.recoverAuth && !recovered.has(credential)) {
        held.body = await readSmallBody(upstream);
        recovered.add(credential);
        if (await credential.recoverAuth(status, held.body.toString('utf8'), abort.signal).catch(() => false)) {
          deps.logger.info({ credential: credential.tag, status }, 'auth recovered, retrying once');
          retrySame = credential;
          continue;
        }
      }
      deps.logger.info({ credential: credential.tag, status }, 'upstream refused, trying next credential');
      deps.metrics?.failovers.inc({ provider: adapter.provider, credential: credential.tag, reason: String(status) });
    }
    if (abort.signal.aborted) {
      discard(held);
      return { credential: held?.credential.tag, status: 499, attempts, upstream: undefined };
    }
    if (held === undefined || held.upstream.statusCode === 429) {
      discard(held);
      const error = exhaustedError(pool.snapshots(access.routeTag, access.allowExternal, clock.now()), clock.now(), lastTransportError);
      sendError(response, adapter.provider, error);
      return { credential: held?.credential.tag, status: error.status, attempts, upstream: undefined };
    }
    relay(deps, access, held, response);
    return { credential: held.credential.tag, status: held.upstream.statusCode ?? 502, attempts, upstream: held.upstream };
  } finally {
    response.off('close', onClose);
  }
}

/** Peers learn the path so far (loop protection, PROTOCOL.md › Headers); vendors never see it. */
function withVia(headers: OutgoingHttpHeaders, credential: Credential, via: string[], nodeName: string): OutgoingHttpHeaders {
  delete headers[VIA_HEADER];
  if (credential.type === 'external') headers[VIA_HEADER] = [...via, nodeName].join(',');
  return headers;
}

function discard(held: Held | undefined): void {
  if (held !== undefined && !held.upstream.complete) held.upstream.resume();
}

function relay(deps: ProxyDeps, access: Access, held: Held, response: ServerResponse): void {
  const { upstream } = held;
  const status = upstream.statusCode ?? 502;
  const headers = inboundResponseHeaders(upstream.headers, deps.adapter.isAccountHeader);
  if (status >= 200 && status < 300) {
    const nowMs = deps.clock.now();
    const aggregate = aggregateProvider(deps.pool.snapshots(access.routeTag, access.allowExternal, nowMs), toUnixSeconds(nowMs));
    Object.assign(headers, deps.adapter.aggregateHeaders(aggregate, toUnixSeconds(nowMs)));
  }
  if (held.body !== undefined) {
    delete headers['content-encoding'];
    response.writeHead(status, headers);
    response.end(held.body);
    return;
  }
  response.writeHead(status, headers);
  // A stream's head goes out at once (the client sees the answer start); otherwise the head
  // rides along with the first body chunk in one write.
  if (String(upstream.headers['content-type']).includes('text/event-stream')) response.flushHeaders();
  upstream.on('error', (error) => {
    if (response.destroyed) return;
    deps.logger.warn({ err: errorMessage(error) }, 'upstream stream failed after the first byte; ending the client response');
    response.destroy();
  });
  response.once('close', () => {
    if (!upstream.complete) upstream.destroy();
  });
  upstream.pipe(response);
}
