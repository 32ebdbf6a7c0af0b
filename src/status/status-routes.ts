/**
 * `GET /v1/status`, `/ccm/v1/status`, `/ocm/v1/status` (PROTOCOL.md › Status JSON, Watch stream),
 * one-shot or as an NDJSON stream with `?watch=true`: a frame at once, then one whenever the
 * payload changes (bursts coalesced), and an unchanged frame every heartbeat so idle proxies keep
 * the stream open.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../lib/index.ts';
import { statusKey } from './status-payload.ts';
import type { NodeStatus, Provider, ProviderStatus } from './usage.ts';

export type StatusPayload = NodeStatus | ProviderStatus;

export interface StatusRouteOptions {
  /**
   * Resolves the caller's view, or answers the request itself (401 etc.) and returns undefined.
   * `provider` is set for `?provider=` and the ccm/ocm paths; `session` for `?session=` (checked).
   */
  view(
    request: FastifyRequest,
    reply: FastifyReply,
    provider: Provider | undefined,
    session: string | undefined,
  ): ((nowMs: number) => StatusPayload) | undefined;
  onChange(listener: () => void): () => void;
  clock: Clock;
  heartbeatMs?: number;
  coalesceMs?: number;
  /** Open watch streams end when this aborts (node shutdown). */
  shutdown: AbortSignal;
  /** The providers a node knows: the `?provider=` values, and each one's own status path. */
  providers: ReadonlyArray<{ name: Provider; statusPath: string }>;
  /** Answers a 400 in the error shape the request's path calls for. */
  badRequest(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply;
}

/** Claude Code and Codex send UUIDs; anything far longer is not a session id and is not kept. */
export const MAX_SESSION_ID_LENGTH = 256;

export function registerStatusRoutes(app: FastifyInstance, options: StatusRouteOptions): void {
  const handle = (fixed: Provider | undefined) => async (request: FastifyRequest, reply: FastifyReply) => {
    const query = request.query as Record<string, string | undefined>;
    const requested = fixed ?? query.provider;
    const names = options.providers.map((provider) => provider.name);
    if (requested !== undefined && !names.includes(requested))
      return options.badRequest(request, reply, `provider must be ${names.join(' or ')}`);
    const session: unknown = query.session;
    if (session !== undefined && !isSessionId(session)) {
      return options.badRequest(request, reply, `session must be one session id of 1–${MAX_SESSION_ID_LENGTH} printable characters`);
    }
    const compute = options.view(request, reply, requested, session as string | undefined);
    if (compute === undefined) return reply;
    if (query.watch === 'true' || query.watch === '1') return watch(reply, compute, options);
    return reply.header('cache-control', 'no-store').send(compute(options.clock.now()));
  };
  app.get('/v1/status', handle(undefined));
  for (const provider of options.providers) app.get(provider.statusPath, handle(provider.name));
}

/** A repeated `?session=` parses as an array; control characters would end up in logs. */
function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SESSION_ID_LENGTH && /^[\x21-\x7e]+$/.test(value);
}

function watch(reply: FastifyReply, compute: (nowMs: number) => StatusPayload, options: StatusRouteOptions): FastifyReply {
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const coalesceMs = options.coalesceMs ?? 25;
  const response = reply.raw;
  reply.hijack();
  response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  let lastKey = '';
  let pending: NodeJS.Timeout | undefined;
  let blocked = false;
  let dirty = false;

  const write = (force: boolean): void => {
    if (blocked) {
      dirty = true;
      return;
    }
    const payload = compute(options.clock.now());
    const key = statusKey(payload);
    if (!force && key === lastKey) return;
    lastKey = key;
    blocked = !response.write(`${JSON.stringify(payload)}\n`);
  };
  const schedule = (): void => {
    if (pending !== undefined) return;
    pending = setTimeout(() => {
      pending = undefined;
      write(false);
    }, coalesceMs);
  };
  const onDrain = (): void => {
    blocked = false;
    if (dirty) {
      dirty = false;
      write(false);
    }
  };
  const unsubscribe = options.onChange(schedule);
  const heartbeat = setInterval(() => write(true), heartbeatMs);
  const finish = (): void => {
    clearTimeout(pending);
    clearInterval(heartbeat);
    unsubscribe();
    response.off('drain', onDrain);
    options.shutdown.removeEventListener('abort', end);
  };
  const end = (): void => {
    finish();
    response.end();
  };
  response.on('drain', onDrain);
  // The response closes when the client goes away (or we end it); either way stop writing.
  response.once('close', finish);
  options.shutdown.addEventListener('abort', end, { once: true });
  write(true);
  return reply;
}
