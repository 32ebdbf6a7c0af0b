/**
 * Codex's `auth.json` as a token format (the file as openai/codex writes it,
 * codex-rs/login/src/auth/storage.rs): refresh when `last_refresh` is
 * 8 days old or the access token's `exp` passed, only a 401 is recoverable (no revoked-403 case),
 * the lock is `<file>.lock`, and a save sets `last_refresh` = now keeping every unknown key.
 */
import { resolve } from 'node:path';
import type { TokenFormat } from '../../pool/index.ts';
import { codexNeedsRefresh, isCodexTokenExpired, parseCodexAuthFile, serializeCodexAuthFile, type CodexAuthDocument } from './auth-file.ts';
import { requestCodexTokenRefresh } from './oauth.ts';

export const codexTokenFormat: TokenFormat<CodexAuthDocument> = {
  parse: parseCodexAuthFile,
  accessToken: (document) => document.tokens.accessToken,
  refreshToken: (document) => document.tokens.refreshToken,
  isExpired: (document, nowMs) => isCodexTokenExpired(document.tokens, nowMs),
  needsRefresh: (document, nowMs) => codexNeedsRefresh(document.tokens, document.lastRefreshMs, nowMs),
  canRefresh: (document) => document.tokens.refreshToken !== undefined,
  isRecoverable: (status) => status === 401,
  defaultLockTarget: (path) => resolve(path),
  async refresh(oauthUrl, document, nowMs) {
    const refreshToken = document.tokens.refreshToken;
    // Unreachable (callers check canRefresh); sending an empty token would only earn a 401.
    if (refreshToken === undefined) return { kind: 'failed', message: 'auth.json has no refresh token' };
    const result = await requestCodexTokenRefresh(oauthUrl, refreshToken, { nowMs });
    if (result.kind !== 'ok') return result;
    const text = serializeCodexAuthFile(document, result, nowMs());
    return { kind: 'ok', text, logFields: { rotated: result.refreshToken !== undefined } };
  },
  // The plan weight comes from the id_token; a re-login onto another plan must reach watchers.
  hasVisibleChange: (previous, next) => previous.tokens.planType !== next.tokens.planType,
  swapNotice: (before, after) =>
    after.tokens.accountId !== before.tokens.accountId ? 'auth.json now holds another ChatGPT account; using it' : undefined,
  messages: {
    file: 'auth file',
    refreshedDocument: 'auth.json',
    token: 'ChatGPT OAuth token',
    relogin: 'log in again with Codex (codex login)',
    cannotRefresh: 'auth.json has no refresh token; log in again with Codex (codex login)',
  },
};
