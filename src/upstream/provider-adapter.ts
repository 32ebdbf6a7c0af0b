/**
 * What the proxy needs to know about one provider's wire: how to rewrite request headers and the
 * path, which upstream response headers describe one account (and must not reach the client),
 * and how to express the pool aggregate as response headers.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Provider, ProviderStatus } from '../status/index.ts';
import { withOauthBeta } from './anthropic.ts';
import { isUnifiedHeader, PLAN_WEIGHT_HEADER, renderUnifiedHeaders } from './anthropic-ratelimit.ts';
import { outboundRequestHeaders } from './headers.ts';

export interface ProviderAdapter {
  provider: Provider;
  /** Headers for the upstream: client headers minus hop/auth, plus the credential's own. */
  requestHeaders(client: IncomingHttpHeaders, credentialHeaders: Record<string, string>, isDefault: boolean): OutgoingHttpHeaders;
  /** Upstream response headers that describe one account and are replaced by the aggregate. */
  isAccountHeader(name: string): boolean;
  aggregateHeaders(aggregate: ProviderStatus, nowSeconds: number): Record<string, string>;
  /**
   * The client's path and query as this credential's target expects them. A peer node takes our
   * own API paths unchanged; only a vendor may lay its API out differently.
   */
  upstreamPath(pathAndQuery: string, isDefault: boolean): string;
}

export const claudeAdapter: ProviderAdapter = {
  provider: 'claude',
  requestHeaders(client, credentialHeaders, isDefault) {
    const headers: OutgoingHttpHeaders = outboundRequestHeaders(client);
    // The upstream must answer uncompressed: usage is read from the body (sing-box `1d388547`).
    delete headers['accept-encoding'];
    if (isDefault) headers['anthropic-beta'] = withOauthBeta(client['anthropic-beta']);
    return Object.assign(headers, credentialHeaders);
  },
  isAccountHeader: (name) => isUnifiedHeader(name) || name === PLAN_WEIGHT_HEADER,
  aggregateHeaders: renderUnifiedHeaders,
  upstreamPath: (pathAndQuery) => pathAndQuery,
};
