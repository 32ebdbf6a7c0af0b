/**
 * The tunnel handshake (PROTOCOL.md › Tunnel handshake): the connector proves it holds the shared
 * peer token without sending it, by an HMAC over its name, a timestamp and a nonce:
 *
 *   Authorization: QuotaMesh node=<name>, ts=<unix s>, nonce=<16 bytes b64url>, sig=<b64url HMAC>
 *
 * Pure functions; the acceptor adds the replay cache and the rate limit around them.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { toUnixSeconds } from '../lib/index.ts';

export const TUNNEL_PATH = '/v1/tunnel';
export const TUNNEL_SUBPROTOCOL = 'quotamesh.v1';
export const MAX_CLOCK_SKEW_SECONDS = 300;

const NONCE_BYTES = 16;
const SIGNATURE_BYTES = 32;

export interface TunnelAuthorization {
  node: string;
  timestampSeconds: number;
  nonce: string;
  signature: string;
}

export interface TunnelPeer {
  name: string;
  token: string;
}

export function signAuthorization(options: { node: string; token: string; nowMs: number; nonce?: string }): string {
  const nonce = options.nonce ?? randomBytes(NONCE_BYTES).toString('base64url');
  const timestampSeconds = toUnixSeconds(options.nowMs);
  const signature = hmac(options.token, options.node, timestampSeconds, nonce).toString('base64url');
  return `QuotaMesh node=${options.node}, ts=${timestampSeconds}, nonce=${nonce}, sig=${signature}`;
}

/** Tolerant: anything not exactly the documented shape is `undefined`, never an exception. */
export function parseAuthorization(header: string | undefined): TunnelAuthorization | undefined {
  if (header === undefined || header.length > 1024) return undefined;
  const match = /^QuotaMesh\s+(.*)$/i.exec(header.trim());
  if (match === null) return undefined;
  const fields = new Map<string, string>();
  for (const part of (match[1] ?? '').split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) return undefined;
    fields.set(part.slice(0, separator).trim().toLowerCase(), part.slice(separator + 1).trim());
  }
  const node = fields.get('node');
  const ts = fields.get('ts');
  const nonce = fields.get('nonce');
  const signature = fields.get('sig');
  if (node === undefined || node === '' || ts === undefined || nonce === undefined || signature === undefined) return undefined;
  if (!/^\d{1,12}$/.test(ts) || !isBase64Url(nonce, NONCE_BYTES) || !isBase64Url(signature, SIGNATURE_BYTES)) return undefined;
  return { node, timestampSeconds: Number(ts), nonce, signature };
}

/**
 * The peer whose token produced the signature, if any and if the timestamp is fresh. Every token
 * is tried, with a constant-time comparison, so timing reveals neither which peers exist nor how
 * much of a signature matched.
 */
export function verifyAuthorization(
  authorization: TunnelAuthorization,
  peers: readonly TunnelPeer[],
  nowMs: number,
): TunnelPeer | undefined {
  if (Math.abs(toUnixSeconds(nowMs) - authorization.timestampSeconds) > MAX_CLOCK_SKEW_SECONDS) return undefined;
  const presented = Buffer.from(authorization.signature, 'base64url');
  let match: TunnelPeer | undefined;
  for (const peer of peers) {
    const expected = hmac(peer.token, authorization.node, authorization.timestampSeconds, authorization.nonce);
    if (timingSafeEqual(expected, presented) && match === undefined) match = peer;
  }
  return match;
}

function hmac(token: string, node: string, timestampSeconds: number, nonce: string): Buffer {
  return createHmac('sha256', token).update(`quotamesh-tunnel\n${node}\n${timestampSeconds}\n${nonce}`).digest();
}

function isBase64Url(value: string, bytes: number): boolean {
  return /^[A-Za-z0-9_-]+$/.test(value) && Buffer.from(value, 'base64url').length === bytes;
}

/** `https://hub.example:8787/prefix` → `wss://hub.example:8787/prefix/v1/tunnel`. */
export function tunnelUrl(peerUrl: string): URL {
  const url = new URL(peerUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`unsupported tunnel url scheme ${url.protocol}`);
  if (!url.pathname.endsWith(TUNNEL_PATH)) url.pathname = url.pathname.replace(/\/+$/, '') + TUNNEL_PATH;
  return url;
}
