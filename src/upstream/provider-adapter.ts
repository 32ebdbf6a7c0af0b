/**
 * What the proxy needs to know about one provider's wire: how to rewrite request headers and the
 * path, which upstream response headers describe one account (and must not reach the client),
 * and how to express the pool aggregate as response headers. Each provider module supplies one.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Provider, ProviderStatus } from '../status/index.ts';

export interface ProviderAdapter {
  provider: Provider;
  /** Headers for the upstream: client headers minus hop/auth, plus the credential's own. */
  requestHeaders(client: IncomingHttpHeaders, credentialHeaders: Record<string, string>, isDefault: boolean): OutgoingHttpHeaders;
  /** Upstream response headers that describe one account and are replaced by the aggregate. */
  isAccountHeader(name: string): boolean;
  aggregateHeaders(aggregate: ProviderStatus, nowSeconds: number): Record<string, string>;
  /**
   * The aggregate headers as a sing-box CCM/OCM caller reads them: its plan-weight header
   * (`X-CCM-Plan-Weight` / `X-OCM-Plan-Weight`) and, for Claude, the claim as `5h`/`7d`
   * (sing-box's 429 path panics on any other value, `service/ccm/credential.go`).
   */
  forSingBox(aggregateHeaders: Record<string, string>): Record<string, string>;
  /**
   * The client's path and query as this credential's target expects them. A peer node takes our
   * own API paths unchanged; only a vendor may lay its API out differently.
   */
  upstreamPath(pathAndQuery: string, isDefault: boolean): string;
}
