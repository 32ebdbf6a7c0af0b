/**
 * The HTTP transport of the request pipeline: send with forward(), fail over (failover.ts) while
 * nothing has reached the client yet, then relay. Once the response head is written the body
 * streams through chunk by chunk; a client that goes away aborts the upstream request.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage, toUnixSeconds, type Clock } from '../lib/index.ts';
import type { Credential, ProviderPool, RiseClaim } from '../pool/index.ts';
import type { AnyProviderModule } from '../providers/index.ts';
import { aggregateProvider, type ProviderStatus } from '../status/index.ts';
import { forward, inboundResponseHeaders, type ProviderAdapter } from '../upstream/index.ts';
import type { Access } from './access.ts';
import { errors, sendError } from './error-reply.ts';
import { exhaustedError } from './exhausted.ts';
import { failover, isExhausted, type Answer, type Attempted, type ResponseClaims, type Transport } from './failover.ts';
import { readSmallBody } from './small-body.ts';
import { withVia } from './via.ts';
import type { Metrics } from './metrics.ts';

export interface ProxyRequest {
  method: string;
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  sessionId: string | undefined;
  /** The model the body asks for: candidates that refuse its family are skipped. */
  model?: string | undefined;
  /** Nodes this request already passed through (x-quotamesh-via), oldest first. */
  via: string[];
}

export interface ProxyDeps {
  pool: ProviderPool;
  provider: AnyProviderModule;
  adapter: ProviderAdapter;
  clock: Clock;
  logger: Logger;
  nodeName: string;
  metrics?: Metrics;
  /** How long an upstream may stay silent (head or body) before the request fails. */
  upstreamIdleTimeoutMs?: number;
  attribution?: ResponseClaims;
  /** Wait for a credential slot until then (clock ms) when all are at their cap; see failover.ts. */
  slotDeadlineMs?: number;
}

/** What the proxy learned about the request's fate; the ledger and logs read it. */
export interface ProxyOutcome {
  credential: string | undefined;
  status: number;
  attempts: number;
  /** The relayed upstream response, still to be consumed by the client (undefined on errors). */
  upstream: IncomingMessage | undefined;
  /** The answer came from another node (an external credential), not from a vendor. */
  fromPeer?: boolean;
  /** The credential that answered, and the rise its answer showed (attribution.ts). */
  answeredBy?: Credential;
  claim?: RiseClaim;
}

/** An upstream HTTP answer: the head, and the body still to be streamed. */
interface HttpAnswer extends Answer {
  message: IncomingMessage;
}

export async function proxyRequest(
  deps: ProxyDeps,
  access: Access,
  request: ProxyRequest,
  response: ServerResponse,
): Promise<ProxyOutcome> {
  const { pool, adapter, clock } = deps;
  const abort = new AbortController();
  const onClose = (): void => {
    if (!response.writableFinished) abort.abort();
  };
  response.once('close', onClose);
  const transport: Transport<HttpAnswer> = {
    async send(credential, target, signal) {
      const message = await forward({
        baseUrl: target.baseUrl,
        pathAndQuery: adapter.upstreamPath(request.pathAndQuery, credential.type === 'default'),
        method: request.method,
        headers: withVia(
          adapter.requestHeaders(request.headers, target.headers, credential.type === 'default'),
          credential.type === 'external',
          request.via,
          deps.nodeName,
        ),
        body: request.body,
        agent: target.agent,
        signal,
        idleTimeoutMs: deps.upstreamIdleTimeoutMs,
      });
      return { status: message.statusCode ?? 502, headers: message.headers, message };
    },
    readBody: (answer) => readSmallBody(answer.message),
    discard: (answer) => {
      if (!answer.message.complete) answer.message.resume();
    },
  };
  try {
    const failoverDeps = {
      pool,
      provider: adapter.provider,
      clock,
      logger: deps.logger,
      metrics: deps.metrics,
      refusalScope: deps.provider.refusalScope,
      attribution: deps.attribution,
      slotDeadlineMs: deps.slotDeadlineMs,
    };
    const result = await failover(failoverDeps, access, request.sessionId, transport, abort.signal, request.model);
    const held = result.last;
    // The credential's slot is held until the answer is over: relayed to its end, or dropped.
    if (held !== undefined) {
      if (response.closed) held.release();
      else response.once('close', held.release);
    }
    if (result.aborted) {
      if (held !== undefined) transport.discard(held.answer);
      return { credential: held?.credential.tag, status: 499, attempts: result.attempts, upstream: undefined };
    }
    if (result.queueRefusal !== undefined) {
      if (held !== undefined) transport.discard(held.answer);
      const error = errors.credentialsBusy(result.queueRefusal.reason, result.queueRefusal.busy);
      sendError(response, deps.provider, error);
      return { credential: held?.credential.tag, status: error.status, attempts: result.attempts, upstream: undefined };
    }
    if (held === undefined || isExhausted(result)) {
      if (held !== undefined) transport.discard(held.answer);
      const nowMs = clock.now();
      const snapshots = pool.snapshots(access.routeTag, access.allowExternal, nowMs);
      const error = exhaustedError(snapshots, nowMs, result.lastTransportError);
      // A spent pool says so the way the client reads a spent account: the aggregate rate-limit
      // headers with the real reset (PROTOCOL.md › Errors).
      const headers =
        error.status === 429 ? aggregateHeadersFor(adapter, access, aggregateProvider(snapshots, toUnixSeconds(nowMs)), nowMs) : {};
      sendError(response, deps.provider, error, headers);
      return { credential: held?.credential.tag, status: error.status, attempts: result.attempts, upstream: undefined };
    }
    relay(deps, access, held, response);
    return {
      credential: held.credential.tag,
      status: held.answer.status,
      attempts: result.attempts,
      upstream: held.answer.message,
      fromPeer: held.credential.type === 'external',
      answeredBy: held.credential,
      claim: held.claim,
    };
  } finally {
    response.off('close', onClose);
  }
}

/** The route's aggregate as response headers, in the caller's dialect. */
function aggregateHeadersFor(adapter: ProviderAdapter, access: Access, aggregate: ProviderStatus, nowMs: number): Record<string, string> {
  const headers = adapter.aggregateHeaders(aggregate, toUnixSeconds(nowMs));
  return access.isSingBoxCaller === true ? adapter.forSingBox(headers) : headers;
}

function relay(deps: ProxyDeps, access: Access, held: Attempted<HttpAnswer>, response: ServerResponse): void {
  const upstream = held.answer.message;
  const status = held.answer.status;
  const headers = inboundResponseHeaders(upstream.headers, deps.adapter.isAccountHeader);
  if (status >= 200 && status < 300) {
    const nowMs = deps.clock.now();
    const aggregate = aggregateProvider(deps.pool.snapshots(access.routeTag, access.allowExternal, nowMs), toUnixSeconds(nowMs));
    Object.assign(headers, aggregateHeadersFor(deps.adapter, access, aggregate, nowMs));
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
