/**
 * `~/.codex/auth.json` (openai/codex codex-rs/login/src/auth/storage.rs). Parsing is tolerant and
 * keeps the whole document: Codex adds keys over time (`auth_mode`, `agent_identity`, …) and
 * sing-box's rewrite, which kept only three fields, silently dropped them
 * (service/ocm/credential_oauth.go). Tokens are JWTs that are decoded, never verified: Codex itself
 * only reads `exp` and the OpenAI auth claim.
 */
export interface CodexTokens {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** `tokens.account_id`, else the id_token's `chatgpt_account_id`: what `ChatGPT-Account-Id` carries. */
  accountId: string | undefined;
  /** The access token's JWT `exp` in epoch ms; undefined when it has none. */
  expiresAtMs: number | undefined;
  /** `chatgpt_plan_type` of the id_token (else of the access token). */
  planType: string | undefined;
}

export interface CodexAuthDocument {
  tokens: CodexTokens;
  /** `last_refresh` in epoch ms; undefined when absent or unreadable. */
  lastRefreshMs: number | undefined;
  /** The parsed file, untouched, so unknown keys survive a rewrite. */
  raw: Record<string, unknown>;
}

/** The new values a refresh brings; the token endpoint may omit any, and an absent one keeps the old. */
export interface CodexTokenUpdate {
  accessToken?: string | undefined;
  refreshToken?: string | undefined;
  idToken?: string | undefined;
}

export const OPENAI_AUTH_CLAIM = 'https://api.openai.com/auth';
/** Refresh once `last_refresh` is older than this, when the access token's `exp` cannot be read. */
export const CODEX_REFRESH_AGE_MS = 8 * 24 * 3600 * 1000;

export function parseCodexAuthFile(text: string): CodexAuthDocument | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'not valid JSON' };
  }
  if (!isObject(raw)) return { error: 'not a JSON object' };
  const tokens = raw['tokens'];
  // API-key mode files carry OPENAI_API_KEY and no tokens; they are no ChatGPT subscription.
  if (!isObject(tokens)) return { error: 'no tokens object (API-key auth.json is not a ChatGPT login)' };
  const accessToken = nonEmpty(tokens['access_token']);
  if (accessToken === undefined) return { error: 'tokens.access_token missing' };
  const idToken = nonEmpty(tokens['id_token']);
  const idClaim = authClaim(idToken);
  const accessPayload = decodeJwtPayload(accessToken);
  const accessClaim = authClaim(accessToken);
  const exp = accessPayload?.['exp'];
  const lastRefresh = typeof raw['last_refresh'] === 'string' ? Date.parse(raw['last_refresh']) : Number.NaN;
  return {
    raw,
    lastRefreshMs: Number.isFinite(lastRefresh) ? lastRefresh : undefined,
    tokens: {
      accessToken,
      refreshToken: nonEmpty(tokens['refresh_token']),
      idToken,
      accountId:
        nonEmpty(tokens['account_id']) ?? nonEmpty(idClaim?.['chatgpt_account_id']) ?? nonEmpty(accessClaim?.['chatgpt_account_id']),
      expiresAtMs: typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined,
      planType: nonEmpty(idClaim?.['chatgpt_plan_type']) ?? nonEmpty(accessClaim?.['chatgpt_plan_type']),
    },
  };
}

/**
 * The file text after a refresh: only the token fields that came back change, and `last_refresh`
 * becomes now (RFC 3339), as Codex writes it. Every other key, top level or inside `tokens`, stays.
 */
export function serializeCodexAuthFile(document: CodexAuthDocument, update: CodexTokenUpdate, nowMs: number): string {
  const previous = isObject(document.raw['tokens']) ? document.raw['tokens'] : {};
  const tokens: Record<string, unknown> = { ...previous };
  if (update.accessToken !== undefined) tokens['access_token'] = update.accessToken;
  if (update.refreshToken !== undefined) tokens['refresh_token'] = update.refreshToken;
  if (update.idToken !== undefined) tokens['id_token'] = update.idToken;
  return `${JSON.stringify({ ...document.raw, tokens, last_refresh: new Date(nowMs).toISOString() }, null, 2)}\n`;
}

/**
 * Codex's proactive rule (openai/codex codex-rs/login/src/auth/manager.rs,
 * `is_stale_for_proactive_refresh`): when the access token's `exp` can be read, refresh exactly
 * when it has passed; only otherwise when `last_refresh` is more than 8 days old; never when
 * neither is known (a 401 still triggers the reactive refresh).
 */
export function codexNeedsRefresh(tokens: CodexTokens, lastRefreshMs: number | undefined, nowMs: number): boolean {
  if (tokens.expiresAtMs !== undefined) return nowMs >= tokens.expiresAtMs;
  return lastRefreshMs !== undefined && nowMs - lastRefreshMs > CODEX_REFRESH_AGE_MS;
}

export function isCodexTokenExpired(tokens: CodexTokens, nowMs: number): boolean {
  return tokens.expiresAtMs !== undefined && nowMs >= tokens.expiresAtMs;
}

/** PROTOCOL.md › Status JSON, plan weights: pro 10, prolite 5, plus and everything else 1 (as sing-box). */
export function codexPlanWeight(planType: string | undefined): number {
  const plan = planType?.trim().toLowerCase();
  if (plan === 'pro') return 10;
  if (plan === 'prolite') return 5;
  return 1;
}

/** The payload of a `header.payload.signature` token, or undefined when it is not one. */
export function decodeJwtPayload(token: string | undefined): Record<string, unknown> | undefined {
  const payload = token?.split('.')[1];
  if (payload === undefined || payload === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function authClaim(token: string | undefined): Record<string, unknown> | undefined {
  const claim = decodeJwtPayload(token)?.[OPENAI_AUTH_CLAIM];
  return isObject(claim) ? claim : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
