/**
 * The proxied API endpoints, exactly as each provider module lists them (`routes.endpoints`);
 * any other path falls to the not-found handler and never reaches the vendor. One handler serves
 * them all: caller → admission → JSON check → the HTTP transport (proxy.ts) → record.
 */
import { Transform, type Readable } from 'node:stream';
import { QuotaMeshError } from '../lib/index.ts';
import { PROVIDERS, type AnyProviderModule } from '../providers/index.ts';
import { admit } from './admission.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';
import { DEFAULT_QUEUE_TIMEOUT_MS } from './config-schema.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import { proxyRequest } from './proxy.ts';
import { BudgetReservation, RequestBudget, type BudgetRefusal } from './request-budget.ts';
import { recordWhenDone } from './request-record.ts';
import { originForm, upstreamTarget } from './request-target.ts';
import type { ServerDeps } from './server-deps.ts';

export function registerProxyRoutes(
  app: FastifyInstance,
  deps: ServerDeps,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: (reply: FastifyReply, provider: AnyProviderModule, error: QuotaMeshError) => FastifyReply,
): void {
  const handler = (provider: AnyProviderModule, pattern: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request);
    if (caller === undefined) return replyError(reply, provider, errors.unauthenticated());
    // The server's onRequest hook already refused every other form; this keeps the handler honest.
    const target = originForm(request.raw.url);
    if (target === undefined) return replyError(reply, provider, errors.badTarget());
    const path = target.path;
    if (climbsOut(path)) return replyError(reply, provider, errors.notFound(path));
    const admitted = admit(deps, provider, caller, request.headers);
    if (admitted instanceof QuotaMeshError) return replyError(reply, provider, admitted);
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    let parsed: unknown;
    if (provider.routes.mustBeJson(request.method, path)) {
      try {
        parsed = JSON.parse(body?.toString('utf8') ?? '');
      } catch (error) {
        return replyError(reply, provider, errors.malformedJson((error as Error).message));
      }
    }
    const info = provider.routes.requestInfo(parsed, request.headers);
    const startedMs = deps.clock.now();
    const overRate = deps.limits.admitRate(caller, startedMs);
    if (overRate !== undefined) return replyError(reply, provider, overRate);
    // A client that goes away while its request waits leaves the line at once.
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    reply.raw.once('close', onGone);
    const entered = await deps.limits.enter(caller, gone.signal);
    reply.raw.off('close', onGone);
    if (entered === 'aborted') return reply.hijack();
    if (entered instanceof QuotaMeshError) return replyError(reply, provider, entered);
    if (reply.raw.closed) entered();
    else reply.raw.once('close', entered);
    reply.hijack();
    const outcome = await proxyRequest(
      {
        pool: admitted.pool,
        provider,
        adapter: provider.adapter,
        clock: deps.clock,
        logger: deps.logger,
        nodeName: deps.config.name,
        metrics: deps.metrics,
        upstreamIdleTimeoutMs: deps.upstreamIdleTimeoutMs,
        attribution: deps.attribution,
        // One deadline for every line this request waits in: its caller's and its credentials'.
        slotDeadlineMs: startedMs + queueTimeoutMs(caller),
      },
      admitted.access,
      {
        method: request.method,
        pathAndQuery: upstreamTarget(pattern, request.params as Record<string, string>, target.query),
        headers: request.headers,
        body,
        sessionId: info.sessionId,
        model: info.model,
        via: admitted.via,
      },
      reply.raw,
    );
    recordWhenDone(
      deps,
      { caller, provider, model: info.model, startedMs, pool: admitted.pool, access: admitted.access },
      outcome,
      reply.raw,
    );
  };
  // Authenticated and budgeted before the body is read: a stranger must not make us buffer up to
  // 32 MiB (found by the hostile-input tests), and a caller holds at most its share of body bytes
  // and requests (issue 13: one user's 40 connections of 31 MiB bodies pinned 1.25 GB). The
  // handler looks the caller up again for its own use.
  // Getters: a config reload's budget applies from the next request on (CONFIG.md › Reloading).
  const budget = new RequestBudget({
    get bodyBytes() {
      return deps.config.request_budget.body_bytes;
    },
    get perCallerBodyBytes() {
      return deps.config.request_budget.per_caller_body_bytes;
    },
    get concurrent() {
      return deps.config.request_budget.concurrent;
    },
    get perCallerConcurrent() {
      return deps.config.request_budget.per_caller_concurrent;
    },
  });
  const showBudget = (): void => {
    const held = budget.held();
    deps.metrics.budgetBodyBytes.set(held.bytes);
    deps.metrics.budgetRequests.set(held.requests);
  };
  const reservations = new WeakMap<FastifyRequest, BudgetReservation>();
  // A user or peer refused for the budget is at a limit worth an alert (`limit_reached`); the
  // admin token is the operator, who already knows.
  const alertLimit = (caller: Caller, refusal: BudgetRefusal, provider: AnyProviderModule, isBodyGrowth: boolean): void => {
    if (caller.kind === 'admin' || deps.alerts === undefined) return;
    const limits = deps.config.request_budget;
    const held = budget.held(refusal === 'caller' ? `${caller.kind}:${caller.name}` : undefined);
    const isRequests = !isBodyGrowth && held.requests + 1 > (refusal === 'caller' ? limits.per_caller_concurrent : limits.concurrent);
    const key = `${refusal === 'caller' ? 'per_caller_' : ''}${isRequests ? 'concurrent' : 'body_bytes'}`;
    deps.alerts.limitReached({
      kind: caller.kind,
      name: caller.name,
      limit: `request_budget.${key}`,
      provider: provider.name,
      detail:
        refusal === 'caller' ? 'refused with 429: its share of the node is in use' : 'refused with 503: the node’s whole budget is in use',
    });
  };
  const gate = (provider: AnyProviderModule) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      const caller = callerOf(request);
      if (caller === undefined) return replyError(reply, provider, errors.unauthenticated());
      const declared = declaredLength(request.headers['content-length']);
      const limit = Math.min(deps.config.request_budget.per_caller_body_bytes, deps.config.request_budget.body_bytes);
      if (declared > limit) return replyError(reply, provider, errors.beyondBudget());
      const reservation = budget.reserve(`${caller.kind}:${caller.name}`, declared);
      // A refused body is then read and discarded by Node (no memory held), not cut off: closing a
      // socket with unread input sends a reset that can destroy the answer before it is read.
      if (reservation === 'caller' || reservation === 'node') alertLimit(caller, reservation, provider, false);
      if (reservation === 'caller') return replyError(reply, provider, errors.callerBudget());
      if (reservation === 'node') return replyError(reply, provider, errors.nodeBudget());
      reservations.set(request, reservation);
      showBudget();
      reply.raw.once('close', () => {
        reservation.release();
        showBudget();
      });
    },
    // A body without content-length (chunked) takes its bytes as they arrive; past the budget the
    // read stops and the request is refused (the error handler answers in the provider's shape).
    preParsing: async (request: FastifyRequest, _reply: FastifyReply, payload: Readable) => {
      const reservation = reservations.get(request);
      if (reservation === undefined || request.headers['content-length'] !== undefined) return payload;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          const refusal = reservation.grow(chunk.length);
          showBudget();
          if (refusal === undefined) return callback(null, chunk);
          const caller = callerOf(request);
          if (caller !== undefined) alertLimit(caller, refusal, provider, true);
          callback(refusal === 'caller' ? errors.callerBudget() : errors.nodeBudget());
        },
      });
      // Not pipeline(): on a refusal it would destroy the request's socket before the 429 is
      // written. A client going away mid-body still ends the counted stream.
      payload.on('error', (error) => counted.destroy(error));
      return payload.pipe(counted);
    },
  });
  for (const provider of PROVIDERS) {
    for (const endpoint of provider.routes.endpoints) {
      app.route({ method: endpoint.method, url: endpoint.path, ...gate(provider), handler: handler(provider, endpoint.path) });
    }
  }
}

/**
 * `/v1/models/..%2f..%2fapi%2foauth%2fprofile` matches `/v1/models/:id` here, but the vendor
 * resolves the dot segments and would answer an endpoint outside the API with our credential
 * (found by the hostile-input fuzz).
 * Encoded dots and slashes count too: a server may decode them before resolving.
 */
export function climbsOut(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..');
}

function queueTimeoutMs(caller: Caller): number {
  const limits = caller.kind === 'user' ? caller.user.limits : caller.kind === 'peer' ? caller.peer.limits : undefined;
  return limits?.queue_timeout_ms ?? DEFAULT_QUEUE_TIMEOUT_MS;
}

/** The declared body length; 0 when absent or unreadable (fastify answers a broken one itself). */
function declaredLength(header: string | undefined): number {
  const value = Number(header ?? 0);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}
