/** Anthropic request knowledge: the OAuth betas, the sticky-session key (PROTOCOL.md › HTTP surface). */
export const OAUTH_BETA = 'oauth-2025-04-20';
/** What a real OAuth Claude Code sends first, in this order. */
const LEADING_OAUTH_BETAS = ['claude-code-20250219', OAUTH_BETA];
/** Sent by a real OAuth Claude Code too; added after the client's own when it did not send it. */
const EXTENDED_CACHE_TTL_BETA = 'extended-cache-ttl-2025-04-11';

/**
 * The `anthropic-beta` of a request sent with an OAuth token: Claude Code's own betas in its order
 * (`claude-code-20250219`, `oauth-2025-04-20`, then the rest, `extended-cache-ttl-2025-04-11`
 * among them), merged with what the client sent, each once, the client's order kept for its own.
 */
export function withOauthBeta(existing: string | string[] | undefined): string {
  const sent = (Array.isArray(existing) ? existing.join(',') : (existing ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return [...new Set([...LEADING_OAUTH_BETAS, ...sent, EXTENDED_CACHE_TTL_BETA])].join(',');
}

export interface MessagesRequestInfo {
  model: string | undefined;
  sessionId: string | undefined;
}

/**
 * Claude Code ≥ 2.1.78 sends `metadata.user_id` as a JSON string with `session_id`; older
 * versions `user_<hex>_account_<uuid>_session_<uuid>`. Anything else simply has no session — the
 * sing-box answered 500 there, which breaks third-party clients.
 */
export function sessionIdFromUserId(userId: unknown): string | undefined {
  if (typeof userId !== 'string' || userId === '') return undefined;
  if (userId.startsWith('{')) {
    try {
      const parsed = JSON.parse(userId) as { session_id?: unknown };
      return typeof parsed.session_id === 'string' && parsed.session_id !== '' ? parsed.session_id : undefined;
    } catch {
      return undefined;
    }
  }
  const marker = userId.lastIndexOf('_session_');
  if (marker < 0) return undefined;
  const session = userId.slice(marker + '_session_'.length);
  return session === '' ? undefined : session;
}

export function messagesRequestInfo(body: unknown, headers: Record<string, string | string[] | undefined>): MessagesRequestInfo {
  const object = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const metadata = object.metadata !== null && typeof object.metadata === 'object' ? (object.metadata as Record<string, unknown>) : {};
  const headerSession = headers['x-claude-code-session-id'];
  return {
    model: typeof object.model === 'string' ? object.model : undefined,
    sessionId:
      sessionIdFromUserId(metadata.user_id) ?? (typeof headerSession === 'string' && headerSession !== '' ? headerSession : undefined),
  };
}
