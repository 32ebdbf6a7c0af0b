export { isHopHeader, outboundRequestHeaders, inboundResponseHeaders } from './headers.ts';
export { forward, UpstreamIdleError, type ForwardRequest } from './forward.ts';
export type { ProviderAdapter } from './provider-adapter.ts';
export { count, jsonUsageTap, sseUsageTap, type TokenUsage, type UsageTap } from './usage-tap.ts';
export {
  headerReader,
  parseDecimal,
  parseEpochSeconds,
  parseRetryAfter,
  PLAN_WEIGHT_HEADER,
  MAX_RESET_DISTANCE_SECONDS,
  type HeaderGetter,
  type HeaderSource,
} from './header-values.ts';
export {
  parseJsonObject,
  postTokenRequest,
  type TokenRequest,
  type TokenRequestOptions,
  type TokenResponseParser,
} from './oauth-request.ts';
export { exchange, type ExchangeAnswer, type ExchangeRequest } from './http-exchange.ts';
export { MAX_ACCOUNT_RESPONSE_BYTES, type AccountFetch, type AccountFetchOptions } from './account-fetch.ts';
export { boundedReset, isTokenText, MAX_TOKEN_COUNT } from './upstream-values.ts';
