/**
 * What the admin API does to one credential (docs/ADMIN.md): disable, enable, reset-cooldown,
 * poll. Transport-free: admin-routes.ts checks the caller and speaks HTTP. Every action that
 * changes state is on disk (state.json) before it is answered, so a restart right after it
 * neither re-enables a credential nor brings back a cooldown that was just cleared.
 */
import type { Logger } from 'pino';
import { QuotaMeshError, type Clock } from '../lib/index.ts';
import type { DisabledCredentials, PollResult, ProviderPool } from '../pool/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/index.ts';
import type { CredentialStatusRow } from '../status/index.ts';
import { adminCredentialRows } from './status-view.ts';

export const ADMIN_ACTIONS = ['disable', 'enable', 'reset-cooldown', 'poll'] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export interface AdminActionsDeps {
  /** The node's pools, read at each call (a reload may replace one). */
  pools: Partial<Record<ProviderName, ProviderPool>>;
  disabled: DisabledCredentials;
  /** Writes state.json now. */
  save(): Promise<void>;
  clock: Clock;
  logger: Logger;
}

export interface AdminRequest {
  action: AdminAction;
  provider: string;
  tag: string;
  /** The caller's name (`admin`). */
  by: string;
  /** The remote address, for the log line only. */
  from?: string | undefined;
  /** The operator's words for a disable. */
  reason?: string | undefined;
}

export interface AdminAnswer {
  action: AdminAction;
  provider: string;
  tag: string;
  /** False when the credential already was as asked (disable twice, enable an enabled one). */
  changed: boolean;
  /** The credential's admin row after the action (the status rows' shape). */
  credential: CredentialStatusRow;
  /** What the poll brought, for `poll`. */
  poll?: PollResult['kind'];
}

const MAX_LOGGED_NAME = 128;

export function isAdminAction(value: string): value is AdminAction {
  return (ADMIN_ACTIONS as readonly string[]).includes(value);
}

export class AdminActions {
  readonly #deps: AdminActionsDeps;

  constructor(deps: AdminActionsDeps) {
    this.#deps = deps;
  }

  /** Throws QuotaMeshError (404 unknown, 409 not possible for this credential, 502/429 poll failed). */
  async run(request: AdminRequest): Promise<AdminAnswer> {
    const { logger } = this.#deps;
    // Provider and tag come from the URL: bounded before they reach a log line.
    const line = {
      action: request.action,
      provider: request.provider.slice(0, MAX_LOGGED_NAME),
      credential: request.tag.slice(0, MAX_LOGGED_NAME),
      by: request.by,
      from: request.from,
    };
    try {
      const answer = await this.#run(request);
      logger.info({ ...line, changed: answer.changed, ...(answer.poll ? { poll: answer.poll } : {}) }, 'admin action');
      return answer;
    } catch (error) {
      logger.warn({ ...line, refused: error instanceof QuotaMeshError ? error.code : 'internal' }, 'admin action refused');
      throw error;
    }
  }

  async #run(request: AdminRequest): Promise<AdminAnswer> {
    const { provider, tag, action } = request;
    const pool = this.#pool(provider);
    const credential = pool.credential(tag);
    if (credential === undefined) {
      const what = pool.hasRoute(tag) ? `${provider}/${tag} is a balancer; act on its members` : `no credential "${tag}" in ${provider}`;
      throw new QuotaMeshError('unknown_credential', 404, 'not_found_error', what);
    }
    const { clock, disabled } = this.#deps;
    let changed = true;
    let poll: PollResult['kind'] | undefined;
    switch (action) {
      case 'disable':
        changed = disabled.disable(provider, tag, { by: request.by, atMs: clock.now(), reason: request.reason });
        break;
      case 'enable':
        changed = disabled.enable(provider, tag);
        break;
      case 'reset-cooldown':
        credential.resetCooldown?.(clock.now());
        break;
      case 'poll': {
        if (credential.pollUsage === undefined) {
          throw new QuotaMeshError(
            'poll_not_supported',
            409,
            'invalid_request_error',
            `${provider}/${tag} is another node's capacity; its usage comes from that node's status stream, there is no account here to poll`,
          );
        }
        const result = await credential.pollUsage();
        if (result.kind !== 'ok') throw pollError(provider, tag, result);
        poll = result.kind;
        break;
      }
    }
    if (action !== 'poll') await this.#deps.save();
    return { action, provider, tag, changed, credential: this.#row(pool, tag), ...(poll ? { poll } : {}) };
  }

  #pool(provider: string): ProviderPool {
    const name = PROVIDER_NAMES.find((known) => known === provider);
    const pool = name === undefined ? undefined : this.#deps.pools[name];
    if (pool === undefined) throw new QuotaMeshError('unknown_provider', 404, 'not_found_error', `no provider "${provider}" on this node`);
    return pool;
  }

  #row(pool: ProviderPool, tag: string): CredentialStatusRow {
    const row = adminCredentialRows(pool, this.#deps.clock.now()).find((candidate) => candidate.tag === tag);
    // The credential was found a moment ago and nothing awaited since removes it from its pool.
    if (row === undefined) throw new QuotaMeshError('unknown_credential', 404, 'not_found_error', `no credential "${tag}"`);
    return row;
  }
}

function pollError(provider: string, tag: string, result: Exclude<PollResult, { kind: 'ok' }>): QuotaMeshError {
  switch (result.kind) {
    case 'failed':
      return new QuotaMeshError('poll_failed', 502, 'api_error', `polling ${provider}/${tag} failed; the node's log says why`);
    case 'rate_limited':
      return new QuotaMeshError(
        'poll_rate_limited',
        429,
        'rate_limit_error',
        `the usage endpoint throttled the poll of ${provider}/${tag}`,
        {
          retryAfterSeconds: result.retryAfterMs === undefined ? 60 : Math.ceil(result.retryAfterMs / 1000),
        },
      );
    case 'skipped':
      return new QuotaMeshError(
        'poll_skipped',
        409,
        'invalid_request_error',
        `${provider}/${tag} cannot be polled now: its credential file is missing or its token may not read usage`,
      );
  }
}
