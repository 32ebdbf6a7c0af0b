export type {
  CallerLimits,
  ConsumerRow,
  Provider,
  CredentialState,
  WindowUsage,
  CredentialSnapshot,
  ProviderStatus,
  CredentialStatusRow,
  NodeStatus,
  SessionAssignment,
  ModelLimit,
  ModelLimitStatus,
} from './usage.ts';
export { MAX_PLAN_WEIGHT, MAX_UNIX_SECONDS } from './usage.ts';
export { aggregateProvider, credentialRows, effectiveWindow } from './aggregate.ts';
export { publicProviderStatus, statusKey, statusEquals } from './status-payload.ts';
export { registerStatusRoutes, MAX_SESSION_ID_LENGTH, type StatusRouteOptions, type StatusPayload } from './status-routes.ts';
export { PRICES, type ModelPrice, type PriceEntry } from './prices.ts';
export { priceOf, costUsd, costOfModel, totalTokens, ZERO_TOKENS, type TokenCounts } from './cost.ts';
export { parseLedgerLine, type LedgerEntry } from './ledger-line.ts';
export { usageSeries, usageSeriesBuilder, MAX_SERIES, MAX_DAYS, type Series, type UsageSeries } from './usage-series.ts';
