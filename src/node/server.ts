/**
 * The HTTP surface of a node (PROTOCOL.md › HTTP surface): one fastify instance, bodies kept as raw
 * bytes (they are forwarded as sent), every error in the provider's shape.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from './fastify.ts';
import { QuotaMeshError } from '../lib/index.ts';
import { PROVIDERS, providerFor, type AnyProviderModule } from '../providers/index.ts';
import { registerStatusRoutes } from '../status/index.ts';
import type { Caller } from './auth.ts';
import { errorBody, errors, sendError } from './error-reply.ts';
import { OnceSet } from './once-set.ts';
import { registerProxyRoutes } from './proxy-routes.ts';
import { originForm } from './request-target.ts';
import type { ServerDeps } from './server-deps.ts';
import { statusView } from './status-view.ts';
import { registerDashboard } from './dashboard.ts';
import { registerAdminConfigRoute } from './admin-config-route.ts';
import { MISSING_UPGRADE, refusalBody } from '../tunnel/index.ts';
import { REVERSE_SERVICES } from './sing-box-peers.ts';
import { registerUsageRoute } from './usage-route.ts';
import { registerAdminLoginRoutes } from './admin-login.ts';

export type { ServerDeps } from './server-deps.ts';

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function buildServer(deps: ServerDeps): FastifyInstance {
  const headersTimeoutMs = deps.headersTimeoutMs ?? 20_000;
  const requestTimeoutMs = deps.requestTimeoutMs ?? 60_000;
  const serverOptions = {
    headersTimeout: headersTimeoutMs,
    maxHeaderSize: 64 * 1024,
    // Node enforces both timeouts only when it sweeps its connections (every 30 s by default),
    // so a 20 s head bound really let a slow-loris hold a socket for up to 50 s.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.ceil(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
  };
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    return503OnClosing: true,
    // Slow-loris clients: the head within 20 s and the whole request within 60 s. Responses
    // (long SSE streams) are not limited by these.
    requestTimeout: requestTimeoutMs,
    http: serverOptions,
    forceCloseConnections: false,
    // A malformed percent-escape in the path is refused by fastify's router before any route or
    // error handler runs; without this it answered in fastify's own JSON, not the provider's.
    frameworkErrors: (error, request, reply) => replyError(reply, providerFor(request.url), errors.badUrl(error.message)),
    // Requests Node's parser refuses (oversized head, garbage) never reach a route; they still
    // get a body both clients can read rather than a bare status line.
    clientErrorHandler: (connectionError, socket) => {
      if (!socket.writable) return socket.destroy();
      const error = connectionError as unknown as { code?: string; rawPacket?: Buffer };
      // No route ran, so the path is only in the raw bytes; it decides the error's shape.
      const requestLine = error.rawPacket?.subarray(0, 256).toString('latin1').split('\r\n')[0] ?? '';
      const provider = providerFor(requestLine.split(' ')[1] ?? '');
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
      const refusal = new QuotaMeshError(
        tooLarge ? 'headers_too_large' : 'bad_request',
        tooLarge ? 431 : 400,
        'invalid_request_error',
        tooLarge ? 'request headers are larger than 64 KiB' : 'malformed HTTP request',
      );
      const body = JSON.stringify(errorBody(provider, refusal));
      socket.end(
        `HTTP/1.1 ${refusal.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    // fastify hands only `https` to https.createServer and drops `http`: the bounds go in both.
    ...(deps.https ? { https: { ...serverOptions, ...deps.https } } : {}),
  });
  // Only origin-form targets (request-target.ts): absolute-form (`POST http://host/v1/messages`),
  // asterisk-form (`OPTIONS *`) and anything else get 400 before any route runs. The shape
  // follows the path an absolute URL names, so a Codex client still reads the message.
  app.addHook('onRequest', async (request, reply) => {
    if (originForm(request.raw.url) !== undefined) return;
    return replyError(reply, providerFor(absolutePath(request.raw.url)), errors.badTarget());
  });
  app.addHook('onRequest', async (_request, reply) => deps.inFlight.track(reply.raw));
  // CONNECT (authority-form) never reaches a route: Node hands it to this event, and without a
  // listener it silently dropped the connection.
  app.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(errorBody(providerFor('/'), errors.badTarget()));
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_request, body, done) => done(null, body));

  const callerOf = (request: FastifyRequest): Caller | undefined => callerOfRequest(deps, request.raw);

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const provider = providerFor(request.url);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return replyError(reply, provider, errors.tooLarge());
    if (error instanceof QuotaMeshError) return replyError(reply, provider, error);
    // fastify's own refusals of bad input (415 for an unparseable or empty content-type, 400 for a
    // broken content-length) are the client's fault: their status in the provider's shape, not a 500.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return replyError(reply, provider, errors.badInput(error.statusCode, error.code ?? 'bad_request', error.message));
    }
    deps.logger.error({ err: error, url: request.url }, 'request failed');
    return replyError(reply, provider, new QuotaMeshError('internal', 500, 'api_error', 'internal error in quotamesh'));
  });
  // Unknown paths (a vendor endpoint not on the allow-list: files, batches, encoded tricks) are
  // logged once each, so an operator sees what clients try without a stranger flooding the log.
  const unknownPaths = new OnceSet(1024);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (unknownPaths.firstTime(`${request.method} ${path}`))
      deps.logger.info({ method: request.method, path: path.slice(0, 256) }, 'no such endpoint; not forwarded');
    return replyError(reply, providerFor(request.url), errors.notFound(path));
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (request, reply) => {
    const caller = callerOf(request);
    if (caller === undefined) return replyError(reply, providerFor(request.url), errors.unauthenticated());
    if (caller.kind !== 'admin') return replyError(reply, providerFor(request.url), errors.forbidden('/metrics needs the admin token'));
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  registerDashboard(app);
  registerAdminConfigRoute(app, deps, callerOf, replyError);
  // A reverse connect that is no upgrade at all (no `Connection: Upgrade`) never reaches the
  // 'upgrade' event; sing-box answers it as it answers a wrong Upgrade header.
  for (const [path, service] of REVERSE_SERVICES) {
    app.get(path, async (_request, reply) =>
      reply.code(400).header('content-type', 'application/json').send(refusalBody(service, MISSING_UPGRADE)),
    );
  }
  registerUsageRoute(app, deps, callerOf, replyError);

  registerStatusRoutes(app, {
    clock: deps.clock,
    shutdown: deps.shutdown,
    providers: PROVIDERS.map((provider) => ({ name: provider.name, statusPath: provider.routes.status })),
    badRequest: (request, reply, message) => replyError(reply, providerFor(request.url), errors.badInput(400, 'bad_request', message)),
    onChange: (listener) => {
      const unsubscribes = Object.values(deps.pools).flatMap((pool) => (pool === undefined ? [] : [pool.onChange(listener)]));
      return () => unsubscribes.forEach((unsubscribe) => unsubscribe());
    },
    view: (request, reply, provider, session) => {
      const caller = callerOf(request);
      if (caller === undefined) {
        // The path decides the shape (providerFor), not `?provider=`: one rule for every route.
        replyError(reply, providerFor(request.url), errors.unauthenticated());
        return undefined;
      }
      return statusView(deps.config, deps.pools, caller, provider, session, deps.consumption);
    },
  });

  registerAdminLoginRoutes(app, deps, callerOf, replyError);
  registerProxyRoutes(app, deps, callerOf, replyError);
  return app;
}

/** A request over a peer's tunnel is that peer's; anything else shows a token (PROTOCOL.md › HTTP over streams). */
export function callerOfRequest(deps: Pick<ServerDeps, 'peerOfSocket' | 'tokens'>, request: IncomingMessage): Caller | undefined {
  const peer = deps.peerOfSocket?.(request.socket);
  if (peer === undefined) return deps.tokens.authenticate(request.headers);
  const caller = deps.tokens.peerCaller(peer);
  if (caller?.kind === 'peer' && caller.peer.protocol === 'sing-box') {
    // A sing-box receiver sends its users' requests as a user of ours, with the peer token
    // (sing-box `service/ccm/reverse.go`): on its tunnel, anything else is nobody's.
    const presented = deps.tokens.authenticate(request.headers);
    return presented?.kind === 'peer' && presented.name === peer ? caller : undefined;
  }
  return caller;
}

/** The path of an absolute-form target (`http://host/v1/responses` → `/v1/responses`), for the error's shape. */
function absolutePath(target: string | undefined): string {
  try {
    return new URL(target ?? '/').pathname;
  } catch {
    return '/';
  }
}

function replyError(reply: FastifyReply, provider: AnyProviderModule, error: QuotaMeshError): FastifyReply {
  reply.hijack();
  sendError(reply.raw, provider, error);
  return reply;
}
