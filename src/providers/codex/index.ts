export { codexProvider } from './module.ts';
export { codexAdapter, codexEventOutcome, type CodexEventOutcome } from './adapter.ts';
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
} from './auth-file.ts';
export {
  CODEX_OAUTH_CLIENT_ID,
  DEFAULT_CODEX_OAUTH_URL,
  codexRefreshRequestBody,
  parseCodexRefreshResponse,
  requestCodexTokenRefresh,
  type CodexRefreshResult,
} from './oauth.ts';
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
} from './ratelimit.ts';
export {
  DEFAULT_CODEX_USAGE_URL,
  CODEX_ORIGINATOR,
  CODEX_USER_AGENT,
  parseCodexUsage,
  fetchCodexUsage,
  type CodexUsage,
} from './account-usage.ts';
export { codexUsageTap } from './usage-tap.ts';
export { aggregateRateLimitsEvent } from './websocket-events.ts';
export { CodexDefaultCredential, type CodexDefaultCredentialOptions } from './default-credential.ts';
export { codexTokenFormat } from './token-format.ts';
export { codexLogin, CODEX_LOGIN_SCOPE, CODEX_LOOPBACK_PORT, DEFAULT_CODEX_AUTHORIZE_URL } from './login.ts';
export { completeDeviceCode, requestDeviceCode, type DeviceCode } from './device-login.ts';
