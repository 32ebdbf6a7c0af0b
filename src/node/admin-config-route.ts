/**
 * `GET /v1/admin/config` (admin token): the config the node runs now, secrets as fingerprints
 * (config-redact.ts), for `quotamesh check --against` to show what a reload would change.
 */
import { randomBytes } from 'node:crypto';
import type { QuotaMeshError } from '../lib/index.ts';
import { providerFor, type AnyProviderModule } from '../providers/index.ts';
import type { Caller } from './auth.ts';
import { redactConfig } from './config-redact.ts';
import { errors } from './error-reply.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import type { ServerDeps } from './server-deps.ts';

export const ADMIN_CONFIG_PATH = '/v1/admin/config';

/** What `GET /v1/admin/config` answers. */
export interface AdminConfigAnswer {
  node: string;
  /** Fingerprints in `config` are HMACs under this salt; drawn once per node start. */
  fingerprint_salt: string;
  config: unknown;
}

export function registerAdminConfigRoute(
  app: FastifyInstance,
  deps: Pick<ServerDeps, 'config'>,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: (reply: FastifyReply, provider: AnyProviderModule, error: QuotaMeshError) => FastifyReply,
): void {
  const salt = randomBytes(16).toString('hex');
  app.get(ADMIN_CONFIG_PATH, async (request, reply) => {
    const caller = callerOf(request);
    const provider = providerFor(request.url);
    if (caller === undefined) return replyError(reply, provider, errors.unauthenticated());
    if (caller.kind !== 'admin') return replyError(reply, provider, errors.forbidden(`${ADMIN_CONFIG_PATH} needs the admin token`));
    const answer: AdminConfigAnswer = { node: deps.config.name, fingerprint_salt: salt, config: redactConfig(deps.config, salt) };
    return reply.header('cache-control', 'no-store').send(answer);
  });
}
