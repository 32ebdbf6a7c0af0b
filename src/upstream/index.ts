export { OAUTH_BETA, withOauthBeta, sessionIdFromUserId, messagesRequestInfo, type MessagesRequestInfo } from './anthropic.ts';
export {
  parseClaudeCredentialFile,
  serializeClaudeCredentialFile,
  claudePlanWeight,
  needsProfile,
  type ClaudeOauth,
  type ClaudeCredentialDocument,
} from './claude-credential-file.ts';
export { isHopHeader, outboundRequestHeaders, inboundResponseHeaders } from './headers.ts';
export {
  parseUnifiedHeaders,
  renderUnifiedHeaders,
  isUnifiedHeader,
  PLAN_WEIGHT_HEADER,
  type UnifiedRateLimit,
} from './anthropic-ratelimit.ts';
export { forward, type ForwardRequest } from './forward.ts';
export { claudeAdapter, type ProviderAdapter } from './provider-adapter.ts';
export { claudeUsageTap, type TokenUsage, type UsageTap } from './anthropic-usage.ts';
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
} from './claude-oauth.ts';
export {
  CLAUDE_CODE_USER_AGENT,
  parseClaudeUsage,
  parseClaudeProfile,
  fetchClaudeUsage,
  fetchClaudeProfile,
  type ClaudeUsage,
  type ClaudeProfile,
  type AccountFetch,
} from './claude-usage.ts';
