/**
 * Everything the node needs to know about one provider, in one object. The generic machinery
 * (pool, upstream, status, tunnel) never names a provider; the node reads these parts instead.
 * A provider module is declared with `satisfies ProviderModule<…>`, so a missing part is a type
 * error where the module is written (test/unit/providers/provider-module.test.ts proves it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import * as z from 'zod';
import type { Clock, QuotaMeshError } from '../lib/index.ts';
import type { Credential, PeerHeaderReading, RefusalScope, TokenFormat, UpstreamOutcome } from '../pool/index.ts';
import type { ProviderStatus } from '../status/index.ts';
import type { ProviderAdapter, UsageTap } from '../upstream/index.ts';
import type { ProviderLogin } from './login-flow.ts';

/** What the proxy learns from a request body before forwarding it (for stickiness and the ledger). */
export interface RequestInfo {
  model: string | undefined;
  sessionId: string | undefined;
}

/** One vendor endpoint the node forwards: a method and a fastify path pattern (`:id` is one segment). */
export interface ProviderEndpoint {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/** The paths a provider answers on, and what the proxy checks there. */
export interface ProviderRoutes {
  /**
   * Path prefixes this provider owns: its proxied API and its status path. The longest matching
   * prefix over all providers decides a path's provider (providerFor), and with it the error shape.
   */
  readonly prefixes: readonly string[];
  /**
   * The vendor endpoints forwarded with a credential, and only these: any other path under the
   * provider's prefix gets 404 and never reaches the vendor (PROTOCOL.md › HTTP surface).
   */
  readonly endpoints: readonly ProviderEndpoint[];
  /** `GET <status>`: this provider's aggregate alone (`/ccm/v1/status`, `/ocm/v1/status`). */
  readonly status: string;
  /** Bodies that must be JSON (and are never forwarded when they are not). */
  mustBeJson(method: string, path: string): boolean;
  requestInfo(body: unknown, headers: IncomingHttpHeaders): RequestInfo;
}

/** A default credential the node starts, persists and closes. */
export interface StartableCredential extends Credential {
  start(): Promise<void> | void;
  persistentState(): unknown;
  restoreState(state: unknown): void;
}

/** The generic half of a default credential's options, filled from the credential's config entry. */
export interface DefaultCredentialSpec {
  tag: string;
  path: string;
  cap5h: number;
  capWeekly: number;
  /** `max_concurrent`: requests in flight on this account at once. */
  maxConcurrent?: number;
  clock: Clock;
  logger: Logger;
}

/** A WebSocket wire (Codex `GET /v1/responses` + upgrade); providers without one leave it out. */
export interface WebSocketWire {
  /** The client path that upgrades. */
  readonly path: string;
  /** Headers the upstream needs that a client may not send. */
  defaultHeaders: Record<string, string>;
  /** An upstream text frame as the outcome of a response, for `Credential.observe`. */
  eventOutcome(text: string, nowSeconds: number): UpstreamOutcome | undefined;
  /** A rate-limit event: the client gets the pool aggregate (`aggregateEvent`) instead of one account's. */
  isRateLimitEvent(outcome: UpstreamOutcome): boolean;
  aggregateEvent(aggregate: ProviderStatus): unknown;
  /** The model a client frame asks for, if it says. */
  modelOf(text: string): string | undefined;
  /** Frames carrying token usage, as body bytes for `usageTap('text/event-stream')`. */
  usageBytes(text: string): Buffer | undefined;
  /** Headers of the upstream's 101 the client reads and must receive on its own 101. */
  readonly handshakeHeaders: readonly string[];
  /** A client frame that starts a turn; `movable` when another account could answer it alone. */
  turnStart(text: string): { movable: boolean } | undefined;
  /** An upstream frame refusing the turn because of the account (its quota), not the request. */
  isAccountRefusal(text: string): boolean;
}

/** The config section beyond `route` and `credentials`: the provider's URLs with defaults. */
export type ConfigFields = Record<string, z.ZodDefault<z.ZodURL>>;
export type SectionOf<Fields extends ConfigFields> = { [Name in keyof Fields]: string };

export interface ProviderModule<Name extends string = string, Fields extends ConfigFields = ConfigFields, Document = unknown> {
  /** The config key, metrics label and `?provider=` value. */
  readonly name: Name;
  /** For people: `Claude is not shared with you`. */
  readonly label: string;
  readonly routes: ProviderRoutes;
  /** Wire adapter: request headers, path, account headers, the aggregate as headers. */
  readonly adapter: ProviderAdapter;
  /** Rate-limit headers (a vendor's or a peer's aggregate) as a reading an external credential learns from. */
  parseRateLimitHeaders(headers: UpstreamOutcome['headers'], nowSeconds: number): PeerHeaderReading | undefined;
  /**
   * Whom a refused response (401/403/429/5xx, body read) is about: the account, one model, the
   * request, or the account refused outright (PROTOCOL.md › Errors). The attempt stage reads it
   * to decide between benching, trying the next credential and relaying the refusal as sent.
   */
  refusalScope(outcome: UpstreamOutcome): RefusalScope;
  /** The credential file's format and its OAuth refresh. */
  readonly credentialFile: TokenFormat<Document>;
  /** A default credential: the file, its refresh, and the account's usage polling as one Credential. */
  createDefaultCredential(spec: DefaultCredentialSpec, section: SectionOf<Fields>): StartableCredential;
  /** Token counts from a response body as it streams past (for the ledger). */
  usageTap(contentType: string | undefined): UsageTap;
  /**
   * What one cache-read token weighs against one input token when a rise in utilization is split
   * among callers (src/pool/sharing/): the vendor's price ratio of cached to fresh input.
   */
  readonly cacheReadWeight: number;
  /** The provider's own error JSON, so its client shows our message instead of a parse failure. */
  errorBody(error: QuotaMeshError, requestId: string): Record<string, unknown>;
  /** `<name>:` in the config: URL fields with their defaults. */
  readonly configFields: Fields;
  /** `quotamesh login` and the dashboard's "add account": the vendor CLI's own OAuth login. */
  readonly login: ProviderLogin;
  readonly websocket?: WebSocketWire;
}

/** Any registered module, whatever its section and document types. */
// The document type only links credentialFile to createDefaultCredential inside one module.
export type AnyProviderModule = ProviderModule<string, ConfigFields, any>;

export const httpUrl = (fallback: string): z.ZodDefault<z.ZodURL> =>
  z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).default(fallback);
