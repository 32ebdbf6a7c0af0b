/**
 * The dashboard's "add account" (PROTOCOL.md › Admin login), admin token only:
 *
 *   POST /v1/admin/login/:provider/start   {}  → {login_id, authorize_url, redirect_uri, paste, expires_at}
 *   POST /v1/admin/login/:provider/finish  {login_id, code, credential? | file?}  → {path, credential, account}
 *
 * The node makes the PKCE pair and the state and keeps them (pending-logins.ts); the admin opens
 * the link, logs in, and pastes back what the vendor shows: Claude's `code#state`, or for Codex
 * the `http://localhost:1455/auth/callback?…` address the browser could not open. The file goes
 * where a configured credential reads it (`credential`: its tag), else under
 * `<state_dir>/accounts/` (`file`: a bare name; default `<provider>-<time>.json`) — never to a
 * path the request names, so the admin token cannot write files anywhere on the host.
 */
import { join } from 'node:path';
import { errorMessage, type QuotaMeshError } from '../lib/index.ts';
import { parsePastedCode, providerNamed, stateMismatch, type AnyProviderModule, type ProviderName } from '../providers/index.ts';
import type { Caller } from './auth.ts';
import type { Config } from './config-schema.ts';
import { errors } from './error-reply.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import { PendingLogins } from './pending-logins.ts';
import { saveLogin } from './save-login.ts';
import type { ServerDeps } from './server-deps.ts';

const BODY_LIMIT_BYTES = 16 * 1024;
const FILE_NAME = /^[A-Za-z0-9_.-]{1,64}\.json$/;

type ReplyError = (reply: FastifyReply, provider: AnyProviderModule, error: QuotaMeshError) => FastifyReply;

export function registerAdminLoginRoutes(
  app: FastifyInstance,
  deps: Pick<ServerDeps, 'config' | 'clock' | 'logger'>,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: ReplyError,
): void {
  const pending = new PendingLogins();

  /** The admin, a provider this node serves, and a small JSON object body — or an error sent. */
  const admitted = (
    request: FastifyRequest,
    reply: FastifyReply,
  ): { provider: AnyProviderModule; body: Record<string, unknown> } | undefined => {
    const shape = providerNamed('claude') as AnyProviderModule;
    const caller = callerOf(request);
    if (caller === undefined) return void replyError(reply, shape, errors.unauthenticated());
    if (caller.kind !== 'admin') return void replyError(reply, shape, errors.forbidden('adding an account needs the admin token'));
    const name = (request.params as { provider?: string }).provider ?? '';
    const provider = providerNamed(name);
    if (provider === undefined || deps.config[provider.name as ProviderName] === undefined) {
      return void replyError(reply, shape, errors.badInput(404, 'not_found', `this node has no provider "${name.slice(0, 64)}"`));
    }
    const text = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch (error) {
        return void replyError(reply, shape, errors.malformedJson((error as Error).message));
      }
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return void replyError(reply, shape, errors.badInput(400, 'bad_request', 'the body must be a JSON object'));
    }
    return { provider, body: body as Record<string, unknown> };
  };

  app.post('/v1/admin/login/:provider/start', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const ok = admitted(request, reply);
    if (ok === undefined) return reply;
    const { provider } = ok;
    const login = provider.login;
    const redirectUri = login.pasteRedirectUri ?? login.loopbackRedirectUri(login.defaultLoopbackPort);
    const start = login.start(endpointsOf(deps.config, provider), redirectUri);
    const { id, expiresAtMs } = pending.add(provider.name, start, deps.clock.now());
    return reply.send({
      login_id: id,
      authorize_url: start.authorizeUrl,
      redirect_uri: redirectUri,
      paste:
        login.pasteRedirectUri === undefined
          ? 'the address the browser could not open (it starts with the redirect_uri)'
          : 'the code the page shows (code#state)',
      expires_at: new Date(expiresAtMs).toISOString(),
    });
  });

  app.post('/v1/admin/login/:provider/finish', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const ok = admitted(request, reply);
    if (ok === undefined) return reply;
    const { provider, body } = ok;
    const refuse = (status: number, code: string, message: string): FastifyReply =>
      replyError(reply, provider, errors.badInput(status, code, message));
    const target = targetOf(deps.config, provider, body, deps.clock.now());
    if ('error' in target) return refuse(400, 'bad_request', target.error);
    const loginId = typeof body['login_id'] === 'string' ? body['login_id'] : '';
    const login = pending.take(loginId, provider.name, deps.clock.now());
    if (login === undefined)
      return refuse(
        404,
        'login_not_found',
        'no such login in progress (finished, expired after 15 minutes, or never started); start again',
      );
    const pasted = parsePastedCode(typeof body['code'] === 'string' ? body['code'] : '');
    if ('error' in pasted) return refuse(400, 'bad_code', pasted.error);
    const mismatch = stateMismatch(login.start, pasted.state);
    if (mismatch !== undefined) return refuse(400, 'state_mismatch', mismatch);
    const result = await provider.login.exchange(endpointsOf(deps.config, provider), login.start, pasted.code, {
      nowMs: () => deps.clock.now(),
    });
    if (result.kind === 'refused') return refuse(400, 'login_refused', `login refused: ${result.message}`);
    try {
      await saveLogin(provider, target.path, result, deps.clock.now());
    } catch (error) {
      deps.logger.warn({ err: error, provider: provider.name, path: target.path }, 'login could not be saved');
      return refuse(500, 'save_failed', `logged in, but ${target.path} could not be written: ${errorMessage(error)}`);
    }
    deps.logger.info(
      { provider: provider.name, path: target.path, credential: target.credential ?? null },
      'account logged in from the admin API',
    );
    return reply.send({
      path: target.path,
      credential: target.credential ?? null,
      account: result.account ?? null,
      ...(target.credential === undefined
        ? {
            note: `no credential of this node reads ${target.path}: add {"type": "default", "path": ...} to ${provider.name}.credentials and restart`,
          }
        : {}),
    });
  });
}

function endpointsOf(config: Config, provider: AnyProviderModule): { authorizeUrl: string; tokenUrl: string } {
  const section = config[provider.name as ProviderName] as Record<string, unknown> | undefined;
  const value = (key: string): string | undefined => (typeof section?.[key] === 'string' ? (section[key] as string) : undefined);
  return {
    authorizeUrl: value('authorize_url') ?? provider.login.defaultEndpoints.authorizeUrl,
    tokenUrl: value('oauth_url') ?? provider.login.defaultEndpoints.tokenUrl,
  };
}

/** A configured credential's file, or a file named under `<state_dir>/accounts/`. */
function targetOf(
  config: Config,
  provider: AnyProviderModule,
  body: Record<string, unknown>,
  nowMs: number,
): { path: string; credential: string | undefined } | { error: string } {
  const credentials = config[provider.name as ProviderName]?.credentials ?? [];
  const tag = body['credential'];
  if (tag !== undefined && tag !== null && tag !== '') {
    const credential = credentials.find((candidate) => candidate.tag === tag);
    if (credential?.type !== 'default')
      return { error: `no default credential "${String(tag).slice(0, 64)}" under ${provider.name}.credentials` };
    return { path: credential.path, credential: credential.tag };
  }
  const file = body['file'];
  if (file !== undefined && file !== null && file !== '' && (typeof file !== 'string' || !FILE_NAME.test(file))) {
    return { error: 'file must be a bare name ending in .json (1-64 of A-Z a-z 0-9 _ . -); it is kept under <state_dir>/accounts/' };
  }
  const name =
    typeof file === 'string' && file !== ''
      ? file
      : `${provider.name}-${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}.json`;
  const path = join(config.state_dir, 'accounts', name);
  const reader = credentials.find((candidate) => candidate.type === 'default' && candidate.path === path);
  return { path, credential: reader?.tag };
}
