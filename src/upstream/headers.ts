/**
 * Headers that describe one hop or the client's own path must not cross ours, in either
 * direction (cf-*, x-forwarded-*, x-real-ip, true-client-ip, cdn-loop: sing-box learned to strip
 * them too; PROTOCOL.md › Headers).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'x-real-ip',
  'true-client-ip',
  'cdn-loop',
  'forwarded',
  'via',
]);

/** Client credentials: never forwarded upstream or to another node (PROTOCOL.md › HTTP surface). */
const CLIENT_AUTH = new Set(['authorization', 'x-api-key', 'api-key']);

export function isHopHeader(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('x-forwarded-') || name.startsWith('cf-');
}

/** Request headers as they may leave towards an upstream: hop, proxy and auth headers removed. */
export function outboundRequestHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isHopHeader(name) || CLIENT_AUTH.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * Cookies the vendor's front end sets (Cloudflare's `__cf_bm`) belong to our connection to it:
 * relayed, they would hand one account's session cookie to every client, or a peer's to us.
 */
const UPSTREAM_COOKIES = new Set(['set-cookie', 'set-cookie2']);

/** Response headers as they may go back to the client. */
export function inboundResponseHeaders(headers: IncomingHttpHeaders, drop: (name: string) => boolean = () => false): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isHopHeader(name) || UPSTREAM_COOKIES.has(name) || drop(name)) continue;
    result[name] = value;
  }
  return result;
}
