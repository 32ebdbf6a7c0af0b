/**
 * The proxied API endpoints, exactly as each provider module lists them (`routes.endpoints`);
 * any other path falls to the not-found handler and never reaches the vendor. One handler serves
 * them all: caller → admission → JSON check → the HTTP transport (proxy.ts) → record.
 */
import { QuotaMeshError } from '../lib/index.ts';
import { PROVIDERS, type AnyProviderModule } from '../providers/index.ts';
import { admit } from './admission.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import { proxyRequest } from './proxy.ts';
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
      },
      admitted.access,
      { method: request.method, pathAndQuery: upstreamTarget(pattern, request.params as Record<string, string>, target.query), headers: request.headers, body, sessionId: info.sessionId, via: admitted.via },
      reply.raw,
    );
    recordWhenDone(deps, { caller, provider, model: info.model, startedMs }, outcome, reply.raw);
  };
  // Authenticated before the body is read: a stranger must not make us buffer up to 32 MiB
  // (found by the hostile-input tests). The handler looks the caller up again for its own use.
  const strangersRefused = (provider: AnyProviderModule) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      if (callerOf(request) === undefined) return replyError(reply, provider, errors.unauthenticated());
    },
  });
  for (const provider of PROVIDERS) {
    for (const endpoint of provider.routes.endpoints) {
      app.route({ method: endpoint.method, url: endpoint.path, ...strangersRefused(provider), handler: handler(provider, endpoint.path) });
    }
  }
}

/**
 * `/v1/models/..%2f..%2fapi%2foauth%2fprofile` matches `/v1/models/:id` here, but the vendor resolves the dot segments and
 * would answer an endpoint outside the API with our credential (found by the hostile-input fuzz).
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
