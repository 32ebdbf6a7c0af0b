export { ProviderPool, type RouteDefinition, type Selection, type Strategy } from './pool.ts';
export { ClaudeDefaultCredential, type ClaudeDefaultCredentialOptions } from './claude-default-credential.ts';
export { CredentialUnavailableError, type Credential, type UpstreamTarget, type UpstreamOutcome } from './credential.ts';
export { cooldownAfterRateLimit, isCoolingDown, NO_COOLDOWN, type Cooldown } from './cooldown.ts';
