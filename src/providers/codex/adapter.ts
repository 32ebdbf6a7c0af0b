/**
 * The Codex wire for the proxy (PROTOCOL.md › HTTP surface, Headers): request headers, which
 * response headers are one account's, the aggregate headers, and how a WebSocket event becomes
 * an outcome a credential can learn from (WebSocket turns carry no per-turn headers).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { outboundRequestHeaders, type ProviderAdapter } from '../../upstream/index.ts';
import {
  codexHeadersForSingBox,
  isCodexAccountHeader,
  parseCodexRateLimitsEvent,
  renderCodexHeaders,
  renderCodexWindows,
} from './ratelimit.ts';

export const codexAdapter: ProviderAdapter = {
  provider: 'codex',
  requestHeaders(client, credentialHeaders) {
    const headers: OutgoingHttpHeaders = outboundRequestHeaders(client);
    // The upstream must answer uncompressed: usage and 429 bodies are read (sing-box `1d388547`).
    delete headers['accept-encoding'];
    // The client's own ChatGPT account means nothing to ours; a default credential sets its own,
    // and a peer's node sets the one of the account it picks.
    delete headers['chatgpt-account-id'];
    // session_id, originator, user-agent, OpenAI-Beta stay: they pin the backend's cache shard and
    // identify the client as Codex (codex-rs/login/src/auth/default_client.rs).
    return Object.assign(headers, credentialHeaders);
  },
  isAccountHeader: isCodexAccountHeader,
  aggregateHeaders: renderCodexHeaders,
  forSingBox: codexHeadersForSingBox,
  // The ChatGPT backend serves `{api_url}/responses`; OAuth mode strips our `/v1` (PROTOCOL.md ›
  // HTTP surface).
  upstreamPath: (pathAndQuery, isDefault) =>
    isDefault && pathAndQuery.startsWith('/v1/') ? pathAndQuery.slice('/v1'.length) : pathAndQuery,
};

/** What `Credential.observe` takes; structurally the pool's `UpstreamOutcome`. */
export interface CodexEventOutcome {
  status: number;
  headers: Record<string, string>;
  /** The event itself for a 429, so its `resets_at` reaches the cooldown. */
  body?: string;
}

/**
 * A WebSocket event as the outcome of a response: `codex.rate_limits` reads like a 200 carrying
 * those windows as headers, an `error` event with status 429 like a refused request. Any other
 * event (or garbage) is no outcome. The proxy feeds the result to `credential.observe`, so default
 * and external credentials learn from WebSocket sessions exactly as from HTTP responses.
 */
export function codexEventOutcome(event: unknown, nowSeconds: number): CodexEventOutcome | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const fields = event as Record<string, unknown>;
  if (fields['type'] === 'codex.rate_limits') {
    const limits = parseCodexRateLimitsEvent(event, nowSeconds);
    if (limits === undefined) return undefined;
    const headers = renderCodexWindows(limits.fiveHour, limits.weekly, nowSeconds);
    if (limits.planType !== undefined) headers['x-codex-plan-type'] = limits.planType;
    return { status: 200, headers };
  }
  const status = fields['status'] ?? fields['status_code'];
  if (fields['type'] === 'error' && status === 429) {
    const headers: Record<string, string> = {};
    if (fields['headers'] !== null && typeof fields['headers'] === 'object') {
      for (const [name, value] of Object.entries(fields['headers'] as Record<string, unknown>)) {
        if (typeof value === 'string' || typeof value === 'number') headers[name.toLowerCase()] = String(value);
      }
    }
    return { status: 429, headers, body: JSON.stringify(event) };
  }
  return undefined;
}
