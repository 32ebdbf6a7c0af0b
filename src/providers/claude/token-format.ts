/**
 * Claude Code's `.credentials.json` as a token format: refresh 5 min before `expiresAt`, only
 * tokens with a refresh token and inference scope can be refreshed, a revoked-token 403 is
 * recoverable like a 401 (Anthropic answers 403 "OAuth token has been revoked" when another
 * client refreshed it), and the lock is Claude Code's own.
 */
import { basename, dirname, resolve } from 'node:path';
import type { TokenFormat } from '../../pool/index.ts';
import { parseClaudeCredentialFile, serializeClaudeCredentialFile, type ClaudeCredentialDocument } from './credential-file.ts';
import { canRefresh, isExpired, isRevokedMessage, needsRefresh, requestTokenRefresh } from './oauth.ts';

export const claudeTokenFormat: TokenFormat<ClaudeCredentialDocument> = {
  parse: parseClaudeCredentialFile,
  accessToken: (document) => document.oauth.accessToken,
  refreshToken: (document) => document.oauth.refreshToken,
  isExpired: (document, nowMs) => isExpired(document.oauth, nowMs),
  needsRefresh: (document, nowMs) => needsRefresh(document.oauth, nowMs),
  canRefresh: (document) => canRefresh(document.oauth),
  isRecoverable: (status, body) => status === 401 || (status === 403 && isRevokedMessage(body)),
  defaultLockTarget: claudeLockTarget,
  async refresh(oauthUrl, document, nowMs) {
    const result = await requestTokenRefresh(oauthUrl, document.oauth, { nowMs });
    if (result.kind !== 'ok') return result;
    const text = serializeClaudeCredentialFile(document, {
      accessToken: result.accessToken,
      // The token endpoint may omit refresh_token; then the old one stays valid.
      refreshToken: result.refreshToken ?? document.oauth.refreshToken,
      expiresAt: result.expiresAt,
      ...(result.scopes === undefined ? {} : { scopes: result.scopes }),
    });
    return { kind: 'ok', text, logFields: { expiresAt: new Date(result.expiresAt).toISOString() } };
  },
  messages: {
    file: 'credential file',
    refreshedDocument: 'credential',
    token: 'OAuth token',
    relogin: 'log in again with Claude Code (/login)',
    cannotRefresh: 'it cannot be refreshed; create a new token (claude setup-token)',
  },
};

/**
 * What Claude Code locks for a credential file: it locks its config directory (`~/.claude` →
 * `~/.claude.lock`), so a file named `.credentials.json` locks its directory. Any other file
 * locks itself, so a credential kept elsewhere never needs write access to its parent's parent.
 */
export function claudeLockTarget(credentialPath: string): string {
  return basename(credentialPath) === '.credentials.json' ? dirname(resolve(credentialPath)) : resolve(credentialPath);
}
