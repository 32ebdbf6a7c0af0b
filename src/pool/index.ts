export { ProviderPool, type ProviderPoolOptions, type RouteDefinition, type Selection, type Strategy } from './pool.ts';
export { ClaudeDefaultCredential, type ClaudeDefaultCredentialOptions } from './claude-default-credential.ts';
export { CredentialUnavailableError, type Credential, type UpstreamTarget, type UpstreamOutcome } from './credential.ts';
export { cooldownAfterRateLimit, isCoolingDown, NO_COOLDOWN, type Cooldown } from './cooldown.ts';
export { pick, leastUsedScore, type CandidateView, type PickContext } from './strategies.ts';
export { StickySessions, STICKY_TTL_MS, STICKY_MAX_ENTRIES, type SelectionScope, type StickyKey, type StickyOptions } from './sticky.ts';
