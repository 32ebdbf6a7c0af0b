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
export { forward, UpstreamIdleError, type ForwardRequest } from './forward.ts';
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
export { headerReader, parseRetryAfter, type HeaderSource } from './header-values.ts';
export {
  CODEX_REFRESH_AGE_MS,
  OPENAI_AUTH_CLAIM,
  parseCodexAuthFile,
  serializeCodexAuthFile,
  codexNeedsRefresh,
  isCodexTokenExpired,
  codexPlanWeight,
  decodeJwtPayload,
  type CodexAuthDocument,
  type CodexTokens,
  type CodexTokenUpdate,
} from './codex-auth-file.ts';
export {
  CODEX_OAUTH_CLIENT_ID,
  DEFAULT_CODEX_OAUTH_URL,
  codexRefreshRequestBody,
  parseCodexRefreshResponse,
  requestCodexTokenRefresh,
  type CodexRefreshResult,
} from './codex-oauth.ts';
export {
  FIVE_HOUR_MINUTES,
  WEEKLY_MINUTES,
  parseCodexHeaders,
  parseCodexRateLimitsEvent,
  parseCodexErrorReset,
  codexRefusal,
  type CodexRefusal,
  classifyCodexWindows,
  renderCodexHeaders,
  renderCodexWindows,
  isCodexAccountHeader,
  type CodexRateLimit,
  type CodexRawWindow,
} from './codex-ratelimit.ts';
export { DEFAULT_CODEX_USAGE_URL, CODEX_ORIGINATOR, CODEX_USER_AGENT, parseCodexUsage, fetchCodexUsage, type CodexUsage } from './codex-usage.ts';
export { codexAdapter, codexEventOutcome, type CodexEventOutcome } from './codex-adapter.ts';
export { codexUsageTap } from './codex-token-usage.ts';
export { aggregateRateLimitsEvent } from './codex-ws-events.ts';
