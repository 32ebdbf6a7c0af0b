export { ProviderPool, DEFAULT_MAX_QUEUED, type ProviderPoolOptions, type RouteDefinition, type Selection, type Strategy } from './pool.ts';
export {
  CredentialUnavailableError,
  type Credential,
  type CredentialStats,
  type RefusalScope,
  type UpstreamTarget,
  type UpstreamOutcome,
} from './credential.ts';
export { refusalMessage } from './refusal-message.ts';
export { cooldownAfterRateLimit, isCoolingDown, NO_COOLDOWN, type Cooldown } from './cooldown.ts';
export { pick, withRoom, leastUsedScore, type CandidateView, type PickContext } from './strategies.ts';
export { StickySessions, STICKY_TTL_MS, STICKY_MAX_ENTRIES, type SelectionScope, type StickyKey, type StickyOptions } from './sticky.ts';
export { DefaultCredential, type DefaultCredentialOptions, type PersistedCredentialState } from './default-credential.ts';
export { cooldownAfterError, cooldownAfterSuccess, cooldownEndedEarly, parseCooldown, type CooldownCause } from './cooldown.ts';
export { acquireFileLock, lockDirectoryFor, LockBusyError, type FileLockOptions, type HeldLock } from './file-lock.ts';
export { writeFileAtomic, whyNotWritable } from './atomic-write.ts';
export { watchFile, type FileWatch } from './file-watch.ts';
export { DEFAULT_POLL_TIMINGS, type PollResult, type UsagePollTimings } from './usage-poller.ts';
export type { PersistedUsageState, RateLimitHint, StatusFacts, WindowReading } from './usage-state.ts';
export { ExternalCredential, type ExternalCredentialOptions, type PeerHeaderReading } from './external-credential.ts';
export { PeerStatusStream, parseStatusFrame, type PeerStatusFrame } from './peer-status-stream.ts';
export type { PeerLink, PeerRoute, StatusWatch } from './peer-link.ts';
export type { TokenSource } from './token-source.ts';
export type { FormatRefreshResult, TokenFormat, TokenMessages } from './token-format.ts';
export { fetchWithAuthRecovery, usagePollResult, type TokenFetch } from './account-poll.ts';
export type { ConsumptionStore, CredentialStateStore, PersistentCredential, SessionBindings, SharedState } from './shared-state.ts';
export { weightedTokens, type TokenCounts } from './sharing/weighted-tokens.ts';
export { splitByTokens, NANO_PER_POINT, type Share } from './sharing/split.ts';
export { risePoints, toNano, fromNano } from './sharing/points.ts';
export { WindowClaims, type Reading, type RiseClaim, type WindowName } from './sharing/window-claims.ts';
export {
  RollingConsumption,
  retryAtMs,
  windowSum,
  FIVE_HOUR_MS,
  WEEK_MS,
  MAX_ENTRIES_PER_CALLER,
  type ConsumptionEntry,
  type WindowKey,
} from './sharing/rolling.ts';
export { DisabledCredentials, MAX_DISABLED_MARKS, MAX_DISABLED_REASON_LENGTH, type DisabledMark } from './disabled-credentials.ts';
