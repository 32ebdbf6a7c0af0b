/**
 * One proxied request: choose a credential, send, and fail over transparently while nothing has
 * reached the client yet (SPEC §3). Once the response head is written the body streams through
 * chunk by chunk; a client that goes away aborts the upstream request.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage, QuotaMeshError, toUnixSeconds, type Clock } from '../lib/index.ts';
import { CredentialUnavailableError, type Credential, type ProviderPool } from '../pool/index.ts';
import { aggregateProvider, type CredentialSnapshot } from '../status/index.ts';
import { forward, inboundResponseHeaders, type ProviderAdapter } from '../upstream/index.ts';
import type { Access } from './access.ts';
import { errors, sendError } from './error-reply.ts';

export interface ProxyRequest {
  method: string;
  pathAndQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  sessionId: string | undefined;
}

export interface ProxyDeps {
  pool: ProviderPool;
  adapter: ProviderAdapter;
  clock: Clock;
  logger: Logger;
}

/** Statuses that say "this credential, not this request": try the next one (SPEC §3). */
function isFailoverStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 429 || status === 529 || status >= 500;
}

export async function proxyRequest(deps: ProxyDeps, access: Access, request: ProxyRequest, response: ServerResponse): Promise<void> {
  const { pool, adapter, clock } = deps;
  const abort = new AbortController();
  const onClose = (): void => {
    if (!response.writableFinished) abort.abort();
  };
  response.once('close', onClose);
  const tried = new Set<Credential>();
  let held: { credential: Credential; upstream: IncomingMessage } | undefined;
  let lastTransportError: unknown;
  try {
    for (;;) {
      const credential = pool.select(access.routeTag, { sessionId: request.sessionId, allowExternal: access.allowExternal, exclude: tried }, clock.now());
      if (credential === undefined) break;
      tried.add(credential);
      let upstream: IncomingMessage;
      try {
        const target = await credential.target(abort.signal);
        upstream = await forward({
          baseUrl: target.baseUrl,
          pathAndQuery: request.pathAndQuery,
          method: request.method,
          headers: adapter.requestHeaders(request.headers, target.headers, credential.type === 'default'),
          body: request.body,
          agent: target.agent,
          signal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.aborted) return;
        if (!(error instanceof CredentialUnavailableError)) {
          lastTransportError = error;
          deps.logger.warn({ credential: credential.tag, err: errorMessage(error) }, 'upstream transport error, trying next credential');
        }
        continue;
      }
      credential.observe({ status: upstream.statusCode ?? 502, headers: upstream.headers }, clock.now());
      held?.upstream.resume();
      held = { credential, upstream };
      if (!isFailoverStatus(upstream.statusCode ?? 502)) break;
      deps.logger.info({ credential: credential.tag, status: upstream.statusCode }, 'upstream refused, trying next credential');
    }
    if (abort.signal.aborted) return;
    if (held === undefined || held.upstream.statusCode === 429) {
      held?.upstream.resume();
      const snapshots = pool.snapshots(access.routeTag, access.allowExternal, clock.now());
      return sendError(response, adapter.provider, exhaustedError(snapshots, clock.now(), lastTransportError));
    }
    relay(deps, access, held.upstream, response);
  } finally {
    response.off('close', onClose);
    if (abort.signal.aborted) held?.upstream.destroy();
  }
}

function relay(deps: ProxyDeps, access: Access, upstream: IncomingMessage, response: ServerResponse): void {
  const status = upstream.statusCode ?? 502;
  const headers = inboundResponseHeaders(upstream.headers, deps.adapter.isAccountHeader);
  if (status >= 200 && status < 300) {
    const nowMs = deps.clock.now();
    const aggregate = aggregateProvider(deps.pool.snapshots(access.routeTag, access.allowExternal, nowMs), toUnixSeconds(nowMs));
    Object.assign(headers, deps.adapter.aggregateHeaders(aggregate, toUnixSeconds(nowMs)));
  }
  response.writeHead(status, headers);
  response.flushHeaders();
  upstream.on('error', () => response.destroy());
  response.once('close', () => {
    if (!upstream.complete) upstream.destroy();
  });
  upstream.pipe(response);
}

/**
 * Nothing left to try. If every credential is only rate-limited the client may retry later
 * (429 + retry-after); otherwise say plainly what is wrong with each (SPEC §3).
 */
function exhaustedError(snapshots: CredentialSnapshot[], nowMs: number, transportError: unknown): QuotaMeshError {
  if (snapshots.length === 0) return errors.forbidden('no credential is available to you on this route');
  const nowSeconds = toUnixSeconds(nowMs);
  const limited = snapshots.filter((snapshot) => snapshot.state === 'rate_limited');
  if (limited.length === snapshots.length) {
    const retryAt = Math.min(...limited.map((snapshot) => snapshot.retryAt || nowSeconds + 60));
    return new QuotaMeshError('all_rate_limited', 429, 'rate_limit_error', `all credentials are rate-limited; earliest retry in ${formatDuration(retryAt - nowSeconds)}`, {
      retryAfterSeconds: Math.max(1, retryAt - nowSeconds),
    });
  }
  if (transportError !== undefined && snapshots.every((snapshot) => snapshot.state !== 'unavailable')) {
    return errors.badGateway(errorMessage(transportError));
  }
  const reasons = snapshots.map((snapshot) => `${snapshot.tag}: ${describe(snapshot, nowSeconds)}`).join('; ');
  return new QuotaMeshError('no_usable_credential', 503, 'api_error', `no usable credential (${reasons})`, { retryAfterSeconds: 30 });
}

function describe(snapshot: CredentialSnapshot, nowSeconds: number): string {
  if (snapshot.state === 'unavailable') return 'unavailable';
  if (snapshot.state === 'rate_limited') return `rate-limited for ${formatDuration(snapshot.retryAt - nowSeconds)}`;
  if (snapshot.weekly.utilization >= snapshot.capWeekly) return `weekly usage at its cap of ${snapshot.capWeekly}%`;
  if (snapshot.fiveHour.utilization >= snapshot.cap5h) return `5-hour usage at its cap of ${snapshot.cap5h}%`;
  return 'failed';
}

function formatDuration(seconds: number): string {
  const value = Math.max(0, Math.round(seconds));
  if (value < 120) return `${value}s`;
  if (value < 7200) return `${Math.round(value / 60)}m`;
  return `${Math.floor(value / 3600)}h${Math.round((value % 3600) / 60)}m`;
}
