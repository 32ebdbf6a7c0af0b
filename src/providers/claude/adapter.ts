/** The Claude wire for the proxy: Messages API headers, the unified rate-limit headers. */
import type { OutgoingHttpHeaders } from 'node:http';
import { outboundRequestHeaders, PLAN_WEIGHT_HEADER, type ProviderAdapter } from '../../upstream/index.ts';
import { withOauthBeta } from './messages.ts';
import { CCM_PLAN_WEIGHT_HEADER, isUnifiedHeader, renderUnifiedHeaders, unifiedHeadersForSingBox } from './ratelimit.ts';

export const claudeAdapter: ProviderAdapter = {
  provider: 'claude',
  requestHeaders(client, credentialHeaders, isDefault) {
    const headers: OutgoingHttpHeaders = outboundRequestHeaders(client);
    // The upstream must answer uncompressed: usage is read from the body.
    delete headers['accept-encoding'];
    if (isDefault) headers['anthropic-beta'] = withOauthBeta(client['anthropic-beta']);
    return Object.assign(headers, credentialHeaders);
  },
  isAccountHeader: (name) => isUnifiedHeader(name) || name === PLAN_WEIGHT_HEADER || name === CCM_PLAN_WEIGHT_HEADER,
  aggregateHeaders: renderUnifiedHeaders,
  forSingBox: unifiedHeadersForSingBox,
  upstreamPath: (pathAndQuery) => pathAndQuery,
};
