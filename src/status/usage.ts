/**
 * The vocabulary every layer shares about capacity. Percentages are 0–100, resets are Unix
 * seconds with 0 meaning unknown (PROTOCOL.md › Status JSON).
 */
/**
 * A provider's name. The generic layers treat it as opaque; the names themselves come from the
 * provider registry (src/providers/index.ts), which these layers never import.
 */
export type Provider = string;

/**
 * The largest plan weight any one credential may carry, whatever it claims: far above a real pool
 * (an account weighs at most 10), and small enough that sums over every credential of a node
 * times 100 % stay exact in a double. A peer's claim is held lower still, by its max_plan_weight.
 */
export const MAX_PLAN_WEIGHT = 1_000_000;

/** Unix seconds past 2106 are not a reset time but garbage. */
export const MAX_UNIX_SECONDS = 2 ** 32;

export type CredentialState = 'usable' | 'rate_limited' | 'unavailable';

export interface WindowUsage {
  /** Percent used, 0–100. */
  utilization: number;
  /** Unix seconds when the window resets; 0 = unknown. */
  resetAt: number;
}

/** What aggregation needs to know about one credential at one moment. */
export interface CredentialSnapshot {
  tag: string;
  type: 'default' | 'external';
  state: CredentialState;
  /** Unix seconds when a rate-limited credential is expected back; 0 = unknown or not limited. */
  retryAt: number;
  /** True once any usage data (headers, poll, peer status) has been seen. */
  hasData: boolean;
  fiveHour: WindowUsage;
  weekly: WindowUsage;
  planWeight: number;
  /** Usable up to this percent (limit_X, or 100 − reserve_X; 100 for external credentials). */
  cap5h: number;
  capWeekly: number;
  /** Peer name for external credentials. */
  peer: string | null;
  /** Model families this credential refuses for now (Claude's weekly Opus window, a Codex extra family). */
  modelLimits?: readonly ModelLimit[];
}

/** One model family an account refuses while its other models are fine. */
export interface ModelLimit {
  /** `opus`, `sonnet`, a Codex family such as `gpt-5.3-codex-spark`. */
  family: string;
  /** Unix seconds when the block ends (the window's reset, or the vendor's retry-after). */
  until: number;
}

/**
 * A model family that some of the route's accounts refuse: how much plan weight still serves it,
 * and when the first blocked account takes it again. `state` is `rate_limited` when no account
 * of the route serves the family now.
 */
export interface ModelLimitStatus {
  family: string;
  state: 'usable' | 'rate_limited';
  blocked_plan_weight: number;
  available_plan_weight: number;
  retry_at: number;
}

/** A provider object of PROTOCOL.md › Status JSON; `credentials` only for the admin token. */
export interface ProviderStatus {
  five_hour_utilization: number;
  five_hour_reset: number;
  weekly_utilization: number;
  weekly_reset: number;
  plan_weight: number;
  state: CredentialState;
  retry_at: number;
  /** Present only while some account of the route refuses a model family (PROTOCOL.md › Status JSON). */
  model_limits?: ModelLimitStatus[];
  credentials?: CredentialStatusRow[];
  /** Only with `?session=`: where that session's next request starts. */
  session?: SessionAssignment;
  /** A user's or peer's own consumption and limits (issue 15), in `/v1/status` only. */
  my_five_hour_percent?: number;
  my_weekly_percent?: number;
  my_limits?: CallerLimits;
  /** Unix seconds when a caller over a limit may use this provider again; 0 while it may. */
  my_retry_at?: number;
  /** The admin's view: every user's and peer's consumption of this provider. */
  consumers?: ConsumerRow[];
}

/** A caller's limits; a limit it does not have is absent (status payloads never carry null). */
export interface CallerLimits {
  five_hour_percent?: number;
  weekly_percent?: number;
  concurrent?: number;
  requests_per_minute?: number;
  queue_timeout_ms?: number;
}

/** One caller's consumption: points of its route's aggregate window in the last 5 h and 7 d. */
export interface ConsumerRow {
  caller: string;
  kind: 'user' | 'peer' | 'admin';
  five_hour_percent: number;
  weekly_percent: number;
  five_hour_limit?: number;
  weekly_limit?: number;
  retry_at: number;
}

/** The credential a session is bound to; `credential: null` while no request has bound it. */
export interface SessionAssignment {
  id: string;
  credential: string | null;
  /** Set when the credential is another node's capacity. */
  peer: string | null;
}

/** An admin row's state: a credential's own, or `disabled` while an operator has it out (docs/ADMIN.md). */
export type CredentialRowState = CredentialState | 'disabled';

/** Who took a credential out and when (Unix seconds), with the operator's words when given. */
export interface DisabledInfo {
  by: string;
  at: number;
  reason?: string;
}

export interface CredentialStatusRow {
  tag: string;
  type: 'default' | 'external';
  state: CredentialRowState;
  five_hour_utilization: number;
  weekly_utilization: number;
  plan_weight: number;
  five_hour_reset: number;
  weekly_reset: number;
  retry_at: number;
  peer: string | null;
  /** Present only while the credential refuses a model family. */
  model_limits?: { family: string; until: number }[];
  /** Why it cannot take a request now (admin rows only). */
  reason?: string;
  /** Set while an operator has it disabled. */
  disabled?: DisabledInfo;
}

export interface NodeStatus {
  node: string;
  time: number;
  providers: Partial<Record<Provider, ProviderStatus>>;
}
