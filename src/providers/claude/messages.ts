/** Anthropic request knowledge: the OAuth beta, the sticky-session key (PROTOCOL.md › HTTP surface). */
export const OAUTH_BETA = 'oauth-2025-04-20';

export function withOauthBeta(existing: string | string[] | undefined): string {
  const values = (Array.isArray(existing) ? existing.join(',') : (existing ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return values.includes(OAUTH_BETA) ? values.join(',') : [OAUTH_BETA, ...values].join(',');
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
