/**
 * The proxied API paths (PROTOCOL.md › HTTP surface): Claude under `/v1/*`, Codex under `/v1/responses` (the
 * adapter strips `/v1` towards the ChatGPT backend's `{api_url}`). One handler serves both:
 * authenticate, refuse loops, check the caller's share, validate JSON, proxy, record.
 */
import type { ProviderPool } from '../pool/index.ts';
import type { Provider } from '../status/index.ts';
import { claudeAdapter, codexAdapter, messagesRequestInfo, type ProviderAdapter } from '../upstream/index.ts';
import { accessFor } from './access.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import { proxyRequest, type ProxyDeps } from './proxy.ts';
import { recordWhenDone } from './request-record.ts';
import type { ServerDeps } from './server.ts';
import { MAX_HOPS, parseVia, VIA_HEADER } from './via.ts';
import type { QuotaMeshError } from '../lib/index.ts';

interface ProviderRoute {
  provider: Provider;
  adapter: ProviderAdapter;
  label: string;
  /** Bodies that must be JSON (and are never forwarded when they are not). */
  mustBeJson(method: string, path: string): boolean;
  info(body: unknown, headers: FastifyRequest['headers']): { model: string | undefined; sessionId: string | undefined };
}

const CLAUDE: ProviderRoute = {
  provider: 'claude',
  adapter: claudeAdapter,
  label: 'Claude',
  mustBeJson: (method, path) => method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens'),
  info: (body, headers) => messagesRequestInfo(body, headers),
};

const CODEX: ProviderRoute = {
  provider: 'codex',
  adapter: codexAdapter,
  label: 'Codex',
  mustBeJson: (method, path) => method === 'POST' && path === '/v1/responses',
  info: (body, headers) => {
    const model = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).model : undefined;
    const session = headers['session_id'] ?? headers['session-id'];
    return { model: typeof model === 'string' ? model : undefined, sessionId: typeof session === 'string' && session !== '' ? session : undefined };
  },
};

export function registerProxyRoutes(
  app: FastifyInstance,
  deps: ServerDeps,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: (reply: FastifyReply, provider: Provider, error: QuotaMeshError) => FastifyReply,
): void {
  const handler = (route: ProviderRoute) => async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = callerOf(request);
    if (caller === undefined) return replyError(reply, route.provider, errors.unauthenticated());
    const path = request.url.split('?')[0] ?? '';
    if (climbsOut(path)) return replyError(reply, route.provider, errors.notFound(path));
    const via = parseVia(request.headers[VIA_HEADER]);
    if (via.includes(deps.config.name) || via.length > MAX_HOPS) return replyError(reply, route.provider, errors.loop(via));
    const pool: ProviderPool | undefined = deps.pools[route.provider];
    const access = accessFor(deps.config, caller, route.provider);
    if (pool === undefined || access === undefined) {
      return replyError(reply, route.provider, errors.forbidden(`${route.label} is not shared with you on this node`));
    }
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    let parsed: unknown;
    if (route.mustBeJson(request.method, path)) {
      try {
        parsed = JSON.parse(body?.toString('utf8') ?? '');
      } catch (error) {
        return replyError(reply, route.provider, errors.malformedJson((error as Error).message));
      }
    }
    const info = route.info(parsed, request.headers);
    const startedMs = deps.clock.now();
    reply.hijack();
    const proxyDeps: ProxyDeps = { pool, adapter: route.adapter, clock: deps.clock, logger: deps.logger, nodeName: deps.config.name, metrics: deps.metrics, upstreamIdleTimeoutMs: deps.upstreamIdleTimeoutMs };
    const outcome = await proxyRequest(
      proxyDeps,
      access,
      { method: request.method, pathAndQuery: request.url, headers: request.headers, body, sessionId: info.sessionId, via },
      reply.raw,
    );
    recordWhenDone(deps, { caller, provider: route.provider, model: info.model, startedMs }, outcome, reply.raw);
  };
  // Authenticated before the body is read: a stranger must not make us buffer up to 32 MiB
  // (found by the hostile-input tests). The handler looks the caller up again for its own use.
  const strangersRefused = (route: ProviderRoute) => ({
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      if (callerOf(request) === undefined) return replyError(reply, route.provider, errors.unauthenticated());
    },
  });
  app.all('/v1/responses', strangersRefused(CODEX), handler(CODEX));
  app.all('/v1/responses/*', strangersRefused(CODEX), handler(CODEX));
  app.all('/v1/*', strangersRefused(CLAUDE), handler(CLAUDE));
}

/**
 * `/v1/../api/oauth/profile` matches `/v1/*` here, but the vendor resolves the dot segments and
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
