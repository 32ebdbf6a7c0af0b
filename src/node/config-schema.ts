/**
 * The config (CONFIG.md) as a zod schema. Strict everywhere: an unknown key is a typo the user wants to hear
 * about, not something to ignore. Cross-references (tags, peers, routes) are checked in
 * config-references.ts, after the shape is known to be right.
 */
import * as z from 'zod';
import { MAX_PLAN_WEIGHT } from '../status/index.ts';
import { PROVIDERS, type ConfigFields, type ProviderName } from '../providers/index.ts';
import { ALERT_EVENTS } from './alerts/alert-event.ts';

export const DEFAULT_MAX_PLAN_WEIGHT = 20;

/** The wire a peer speaks: ours (`/v1/tunnel`, HMAC) or sing-box CCM/OCM's (PROTOCOL.md › sing-box peers). */
export const PEER_PROTOCOLS = ['quotamesh', 'sing-box'] as const;
export type PeerProtocol = (typeof PEER_PROTOCOLS)[number];

export const STRATEGIES = ['least-used', 'round-robin', 'random', 'fallback'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const tag = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a tag is 1–64 of A-Z a-z 0-9 _ . -');
const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a name is 1–64 of A-Z a-z 0-9 _ . -');
const reserve = z.number().int().min(0).max(99);
const limit = z.number().int().min(0).max(100);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

const defaultCredential = z.strictObject({
  tag,
  type: z.literal('default'),
  path: z.string().min(1),
  reserve_5h: reserve.optional(),
  reserve_weekly: reserve.optional(),
  limit_5h: limit.optional(),
  limit_weekly: limit.optional(),
  /**
   * Requests in flight on this account at once (issue 15). Past it the balancer takes another
   * credential, or the request waits in a bounded line. 256 was the old hidden socket cap.
   */
  max_concurrent: z.number().int().min(1).max(65_536).default(256),
});

const externalCredential = z.strictObject({
  tag,
  type: z.literal('external'),
  peer: name,
});

const balancerCredential = z.strictObject({
  tag,
  type: z.literal('balancer'),
  strategy: z.enum(STRATEGIES).default('least-used'),
  credentials: z.array(tag).min(1),
  rebalance_threshold: z.number().min(0).max(100).default(0),
});

const credential = z.discriminatedUnion('type', [defaultCredential, externalCredential, balancerCredential]);

/** `<provider>:` sections: routes and credentials, plus the provider's own URL fields. */
function providerSection<Fields extends ConfigFields>(fields: Fields) {
  return z.strictObject({ route: tag.optional(), credentials: z.array(credential).min(1), ...fields });
}

type Sections = {
  [Module in (typeof PROVIDERS)[number] as Module['name']]: z.ZodOptional<ReturnType<typeof providerSection<Module['configFields']>>>;
};
const sections = Object.fromEntries(
  PROVIDERS.map((provider) => [provider.name, providerSection(provider.configFields).optional()]),
) as Sections;

/** A route per provider (`claude: <tag>`), for users and for what a peer is shared. */
type RouteChoices = Record<ProviderName, z.ZodOptional<typeof tag>>;
const routeChoices = Object.fromEntries(PROVIDERS.map((provider) => [provider.name, tag.optional()])) as RouteChoices;

const secret = z.string().min(16, 'a token is at least 16 characters');

/** How long a request may wait for a slot (its caller's or a credential's) before it is refused. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;

/**
 * What one user or peer may take of the pool (CONFIG.md › Limits); absent keys are no limit.
 * `five_hour_percent` and `weekly_percent` are points of its route's aggregate window that its
 * requests may consume within any rolling 5 h / 7 d (src/pool/sharing/); over either, its
 * requests are refused with 429 until enough ages out. A request over `concurrent` waits up to
 * `queue_timeout_ms` for one of the caller's own to finish, then is refused with 429; one over
 * `requests_per_minute` (a rolling 60 s) is refused at once.
 */
const percentOfRoute = z.number().min(0).max(100);
export const limitsSchema = z.strictObject({
  five_hour_percent: percentOfRoute.optional(),
  weekly_percent: percentOfRoute.optional(),
  concurrent: z.number().int().min(1).max(1_000_000).optional(),
  requests_per_minute: z.number().int().min(1).max(1_000_000).optional(),
  queue_timeout_ms: z.number().int().min(0).max(600_000).default(DEFAULT_QUEUE_TIMEOUT_MS),
});

const user = z.strictObject({
  name,
  token: secret,
  allow_external_usage: z.boolean().default(false),
  limits: limitsSchema.optional(),
  ...routeChoices,
});

const peer = z.strictObject({
  name,
  url: httpUrl.optional(),
  token: secret,
  reverse: z.boolean().default(false),
  protocol: z.enum(PEER_PROTOCOLS).default('quotamesh'),
  /** A sing-box peer's token crosses in clear; over http:// off loopback that must be asked for. */
  allow_insecure: z.boolean().default(false),
  share: z.strictObject(routeChoices).default({}),
  allow_external_usage: z.boolean().default(false),
  /**
   * The most plan weight this peer's capacity may count for here, whatever it reports (issue 11:
   * a peer claiming 1 000 000 drew every request). 20 is two Max 20x accounts; raise it for a
   * peer that really shares more.
   */
  max_plan_weight: z.number().positive().max(MAX_PLAN_WEIGHT).default(DEFAULT_MAX_PLAN_WEIGHT),
  /** What this peer may take here, held to it whether it comes through its tunnel or with its token. */
  limits: limitsSchema.optional(),
});

/**
 * Per-node tunnel bounds and timings. Keepalive: a ping every interval, dead without a pong for
 * timeout (15 s and 30 s by default). A request down a tunnel that has no response head after
 * `response_head_timeout_ms` makes us ping that tunnel at once; no pong within
 * `ping_timeout_ms` and the peer is taken down and the request fails over.
 */
const tunnel = z
  .strictObject({
    max_streams: z.number().int().min(1).max(65_536).default(1024),
    keepalive_interval_ms: z.number().int().min(100).max(600_000).default(15_000),
    keepalive_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
    response_head_timeout_ms: z.number().int().min(100).max(600_000).default(2_000),
    ping_timeout_ms: z.number().int().min(100).max(60_000).default(1_500),
  })
  // prefault: an absent section is parsed as {}, so each key gets its own default.
  .prefault({});

const MiB = 1024 * 1024;

/**
 * Request bodies and requests held at once (src/node/request-budget.ts): node-wide (refused
 * with 503) and per caller (refused with 429), before a body is read. Bodies are buffered whole,
 * so these bound the memory callers can pin. A caller is one user, one peer, or the admin token.
 */
const requestBudget = z
  .strictObject({
    body_bytes: z
      .number()
      .int()
      .min(MiB)
      .max(64 * 1024 * MiB)
      .default(256 * MiB),
    per_caller_body_bytes: z
      .number()
      .int()
      .min(MiB)
      .max(64 * 1024 * MiB)
      .default(64 * MiB),
    concurrent: z.number().int().min(1).max(1_000_000).default(1024),
    per_caller_concurrent: z.number().int().min(1).max(1_000_000).default(128),
  })
  .prefault({});

/**
 * Where to POST alert events (CONFIG.md › alerts; the body in PROTOCOL.md › Alerts). `secret`
 * signs each body (x-quotamesh-signature); write it as "${ENV_NAME}" to keep it out of the file.
 * A peer's tunnel must stay down `peer_down_grace_ms` before `peer_down` is sent: a redial
 * within it is not trouble.
 */
const alert = z.strictObject({
  url: httpUrl,
  events: z.array(z.enum(ALERT_EVENTS)).min(1).optional(),
  secret: z.string().min(16, 'a secret is at least 16 characters').optional(),
  peer_down_grace_ms: z.number().int().min(0).max(86_400_000).default(60_000),
});

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8787')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535, 'port above 65535');

export const configSchema = z.strictObject({
  name: name.default('quotamesh'),
  listen: listen.default('127.0.0.1:8787'),
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
  state_dir: z.string().min(1).default('~/.local/state/quotamesh'),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  admin_token: secret.optional(),
  users: z.array(user).default([]),
  peers: z.array(peer).default([]),
  tunnel,
  request_budget: requestBudget,
  alerts: z.array(alert).max(16).default([]),
  ...sections,
});

export type Config = z.output<typeof configSchema>;
export type CredentialConfig = z.output<typeof credential>;
export type DefaultCredentialConfig = z.output<typeof defaultCredential>;
export type ExternalCredentialConfig = z.output<typeof externalCredential>;
export type BalancerCredentialConfig = z.output<typeof balancerCredential>;
export type ProviderConfig = NonNullable<Config[ProviderName]>;
export type UserConfig = z.output<typeof user>;
export type PeerConfig = z.output<typeof peer>;
export type TunnelConfig = z.output<typeof tunnel>;
export type RequestBudgetConfig = z.output<typeof requestBudget>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type AlertConfig = z.output<typeof alert>;
