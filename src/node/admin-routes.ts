/**
 * `POST /v1/admin/credentials/{provider}/{tag}/{action}` (docs/ADMIN.md): the admin token only
 * (no token 401, a user's or peer's 403, before anything about the credential is told), an
 * optional small JSON body `{"reason": "..."}`, the answer as JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import { QuotaMeshError } from '../lib/index.ts';
import { MAX_DISABLED_REASON_LENGTH } from '../pool/index.ts';
import { ADMIN_ACTIONS, isAdminAction, type AdminActions } from './admin-actions.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';

export const ADMIN_CREDENTIALS_PATH = '/v1/admin/credentials';
/** `{"reason": "..."}` and room to spare; anything bigger is not an admin request. */
const MAX_ADMIN_BODY_BYTES = 4096;

export function registerAdminRoutes(
  app: FastifyInstance,
  admin: AdminActions,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: (reply: FastifyReply, error: QuotaMeshError) => FastifyReply,
): void {
  app.post(`${ADMIN_CREDENTIALS_PATH}/:provider/:tag/:action`, { bodyLimit: MAX_ADMIN_BODY_BYTES }, async (request, reply) => {
    const caller = callerOf(request);
    if (caller === undefined) return replyError(reply, errors.unauthenticated());
    if (caller.kind !== 'admin') return replyError(reply, errors.forbidden('the admin API needs the admin token'));
    const { provider, tag, action } = request.params as { provider: string; tag: string; action: string };
    if (!isAdminAction(action)) {
      return replyError(
        reply,
        new QuotaMeshError('unknown_action', 404, 'not_found_error', `no admin action "${action}"; one of ${ADMIN_ACTIONS.join(', ')}`),
      );
    }
    const body = parseBody(request.body);
    if (typeof body === 'string') return replyError(reply, errors.badInput(400, 'bad_request', body));
    try {
      const answer = await admin.run({ action, provider, tag, by: caller.name, from: request.ip, reason: body.reason });
      return reply.header('cache-control', 'no-store').send(answer);
    } catch (error) {
      if (error instanceof QuotaMeshError) return replyError(reply, error);
      throw error;
    }
  });
}

/** The body, or what is wrong with it. An empty body is no options. */
function parseBody(raw: unknown): { reason?: string } | string {
  if (raw === undefined || (Buffer.isBuffer(raw) && raw.length === 0)) return {};
  if (!Buffer.isBuffer(raw)) return 'the body must be JSON';
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'the body must be JSON: {"reason": "..."} or nothing';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the body must be a JSON object';
  const reason = (value as Record<string, unknown>)['reason'];
  if (reason === undefined) return {};
  if (typeof reason !== 'string' || reason.length > MAX_DISABLED_REASON_LENGTH || /[\x00-\x1f\x7f]/.test(reason)) {
    return `reason must be one line of at most ${MAX_DISABLED_REASON_LENGTH} characters`;
  }
  return { reason };
}
