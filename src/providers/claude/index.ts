export { claudeProvider } from './module.ts';
export { claudeAdapter } from './adapter.ts';
export { OAUTH_BETA, withOauthBeta, sessionIdFromUserId, messagesRequestInfo, type MessagesRequestInfo } from './messages.ts';
export {
  parseClaudeCredentialFile,
  serializeClaudeCredentialFile,
  claudePlanWeight,
  needsProfile,
  type ClaudeOauth,
  type ClaudeCredentialDocument,
} from './credential-file.ts';
export { claudeStatusFacts, parseUnifiedHeaders, renderUnifiedHeaders, isUnifiedHeader, type UnifiedRateLimit } from './ratelimit.ts';
export { claudeUsageTap } from './usage-tap.ts';
export {
  CLAUDE_OAUTH_CLIENT_ID,
  CLAUDE_REFRESH_SCOPE,
  CLAUDE_REFRESH_USER_AGENT,
  TOKEN_EXPIRY_BUFFER_MS,
  needsRefresh,
  isExpired,
  canRefresh,
  isRevokedMessage,
  refreshRequestBody,
  parseRefreshResponse,
  requestTokenRefresh,
  type RefreshResult,
} from './oauth.ts';
export {
  CLAUDE_CODE_USER_AGENT,
  parseClaudeUsage,
  parseClaudeProfile,
  fetchClaudeUsage,
  fetchClaudeProfile,
  type ClaudeUsage,
  type ClaudeProfile,
} from './account-usage.ts';
export { ClaudeDefaultCredential, DEFAULT_CLAUDE_OAUTH_URL, type ClaudeDefaultCredentialOptions } from './default-credential.ts';
export { claudeLockTarget, claudeTokenFormat } from './token-format.ts';
export { claudeLogin, CLAUDE_LOGIN_SCOPE, CLAUDE_PASTE_REDIRECT_URI, DEFAULT_CLAUDE_AUTHORIZE_URL } from './login.ts';
