/**
 * `~/.claude/.credentials.json` (CONFIG.md › Credential files). Parsing is tolerant and keeps the whole
 * document, because a rewrite must preserve every key we do not know (sing-box fix `084a6f13`).
 */
export interface ClaudeOauth {
  accessToken: string;
  refreshToken: string | undefined;
  /** Epoch ms; 0 = never expires. */
  expiresAt: number;
  scopes: string[];
  subscriptionType: string | undefined;
  rateLimitTier: string | undefined;
}

export interface ClaudeCredentialDocument {
  oauth: ClaudeOauth;
  /** The parsed file, untouched, so unknown keys survive a rewrite. */
  raw: Record<string, unknown>;
}

export function parseClaudeCredentialFile(text: string): ClaudeCredentialDocument | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'not valid JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { error: 'not a JSON object' };
  const oauth = (raw as Record<string, unknown>).claudeAiOauth;
  if (oauth === null || typeof oauth !== 'object') return { error: 'no claudeAiOauth object' };
  const fields = oauth as Record<string, unknown>;
  if (typeof fields.accessToken !== 'string' || fields.accessToken === '') return { error: 'claudeAiOauth.accessToken missing' };
  return {
    raw: raw as Record<string, unknown>,
    oauth: {
      accessToken: fields.accessToken,
      refreshToken: typeof fields.refreshToken === 'string' && fields.refreshToken !== '' ? fields.refreshToken : undefined,
      expiresAt: typeof fields.expiresAt === 'number' && Number.isFinite(fields.expiresAt) ? fields.expiresAt : 0,
      scopes: Array.isArray(fields.scopes) ? fields.scopes.filter((scope): scope is string => typeof scope === 'string') : [],
      subscriptionType: typeof fields.subscriptionType === 'string' ? fields.subscriptionType : undefined,
      rateLimitTier: typeof fields.rateLimitTier === 'string' ? fields.rateLimitTier : undefined,
    },
  };
}

/** The file text after a refresh: only claudeAiOauth's token fields change. */
export function serializeClaudeCredentialFile(document: ClaudeCredentialDocument, update: Partial<ClaudeOauth>): string {
  const previous = (document.raw.claudeAiOauth ?? {}) as Record<string, unknown>;
  const next: Record<string, unknown> = { ...previous };
  for (const [key, value] of Object.entries(update)) if (value !== undefined) next[key] = value;
  return `${JSON.stringify({ ...document.raw, claudeAiOauth: next }, null, 2)}\n`;
}

/**
 * Plan weights (PROTOCOL.md › Status JSON): Max 20x 10, Max 5x 5, Pro/other 1; the edge cases
 * (a team seat on a 5x tier, max with an unknown tier) as sing-box service/ccm decides them.
 */
export function claudePlanWeight(subscriptionType: string | undefined, rateLimitTier: string | undefined): number {
  const tier = rateLimitTier ?? '';
  if (tier.includes('max_20x')) return subscriptionType === 'max' || subscriptionType === undefined ? 10 : 1;
  if (tier.includes('max_5x')) return subscriptionType === 'max' || subscriptionType === 'team' || subscriptionType === undefined ? 5 : 1;
  if (subscriptionType === 'max') return 5;
  return 1;
}

/** True when subscriptionType and rateLimitTier are both absent, so the profile must tell. */
export function needsProfile(oauth: ClaudeOauth): boolean {
  return oauth.subscriptionType === undefined && oauth.rateLimitTier === undefined;
}
