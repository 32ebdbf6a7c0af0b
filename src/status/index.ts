export type {
  Provider,
  CredentialState,
  WindowUsage,
  CredentialSnapshot,
  ProviderStatus,
  CredentialStatusRow,
  CredentialRowState,
  DisabledInfo,
  NodeStatus,
  SessionAssignment,
} from './usage.ts';
export { MAX_PLAN_WEIGHT, MAX_UNIX_SECONDS } from './usage.ts';
export { aggregateProvider, credentialRows, effectiveWindow } from './aggregate.ts';
export { publicProviderStatus, statusKey, statusEquals } from './status-payload.ts';
export { registerStatusRoutes, MAX_SESSION_ID_LENGTH, type StatusRouteOptions, type StatusPayload } from './status-routes.ts';
