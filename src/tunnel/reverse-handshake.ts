/**
 * sing-box's reverse tunnel handshake (PROTOCOL.md › sing-box peers): a hand-written HTTP/1.1
 * upgrade with `Upgrade: reverse-proxy` and the peer token as a Bearer, then hashicorp yamux on
 * the same bytes, no WebSocket. Read from SagerNet/sing-box `service/ccm/reverse.go` and
 * `service/ocm/reverse.go` (branch ccm-ocm-improvements). Pure functions; the acceptor and the
 * dialer do the I/O.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SessionTunables } from './yamux/session-options.ts';

/** sing-box runs one service per provider: `ccm` (Claude) and `ocm` (Codex), each with its own tunnel. */
export type SingBoxService = 'ccm' | 'ocm';
export const SING_BOX_SERVICES: readonly SingBoxService[] = ['ccm', 'ocm'];

export const REVERSE_UPGRADE = 'reverse-proxy';
/** What the receiver writes, byte for byte (sing-box writes this literal, not Node's 101). */
export const REVERSE_SWITCHING_RESPONSE = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: reverse-proxy\r\n\r\n';
/** Longest response head we read while dialing; sing-box's 101 is 76 bytes. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

/**
 * sing-box's yamux config on both ends: hashicorp defaults but a 15 s keepalive and a 512 KiB
 * stream window (`defaultYamuxConfig` in reverse.go). Its pings wait 10 s for our pong
 * (ConnectionWriteTimeout); ours answer at once.
 */
export const SING_BOX_SESSION_PROFILE: SessionTunables = {
  streamWindowBytes: 512 * 1024,
  keepaliveIntervalMs: 15_000,
};

/** `/ccm/v1/reverse`, the path a connector dials (after the url's own path prefix). */
export function reversePath(service: SingBoxService): string {
  return `/${service}/v1/reverse`;
}

/** The status watch a sing-box receiver follows, and that we follow on a sing-box peer. */
export function singBoxStatusPath(service: SingBoxService): string {
  return `/${service}/v1/status?watch=true`;
}

/** `<url path without trailing />/ccm/v1/reverse`: `https://a.example/node/` → `/node/ccm/v1/reverse`. */
export function reverseRequestPath(url: URL, service: SingBoxService): string {
  return `${url.pathname.replace(/\/+$/, '')}${reversePath(service)}`;
}

export function upgradeRequest(url: URL, service: SingBoxService, token: string): string {
  return (
    `GET ${reverseRequestPath(url, service)} HTTP/1.1\r\n` +
    `Host: ${url.host}\r\n` +
    'Connection: Upgrade\r\n' +
    `Upgrade: ${REVERSE_UPGRADE}\r\n` +
    `Authorization: Bearer ${token}\r\n` +
    '\r\n'
  );
}

export type ResponseHead =
  | { kind: 'incomplete' }
  | { kind: 'too_long' }
  | { kind: 'switched'; rest: Buffer }
  | { kind: 'refused'; statusLine: string; status: number };

/**
 * Reads the receiver's answer from what has arrived so far. As sing-box's connector does, the
 * status line must start with `HTTP/1.1 101`; header lines are skipped up to the blank line, and
 * whatever follows it is yamux (sing-box `9e7d863e`: frames coalesced with the 101 were lost).
 */
export function readResponseHead(received: Buffer): ResponseHead {
  const end = received.indexOf('\r\n\r\n');
  const bareEnd = received.indexOf('\n\n');
  const headEnd = end >= 0 && (bareEnd < 0 || end < bareEnd) ? end + 4 : bareEnd >= 0 ? bareEnd + 2 : -1;
  if (headEnd < 0) return received.length > MAX_RESPONSE_HEAD_BYTES ? { kind: 'too_long' } : { kind: 'incomplete' };
  if (headEnd > MAX_RESPONSE_HEAD_BYTES) return { kind: 'too_long' };
  const lineEnd = received.indexOf('\n');
  const statusLine = received.subarray(0, lineEnd).toString('latin1').trim();
  if (statusLine.startsWith('HTTP/1.1 101')) return { kind: 'switched', rest: received.subarray(headEnd) };
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { kind: 'refused', statusLine: statusLine.slice(0, 200), status };
}

/** Why a receiver refuses an upgrade, in sing-box's order of checks (reverse.go handleReverseConnect). */
export type UpgradeRefusal = { status: 400 | 401; type: 'invalid_request_error' | 'authentication_error'; message: string };

export interface UpgradeHeaders {
  upgrade: string | undefined;
  authorization: string | undefined;
  hasApiKey: boolean;
}

/** The Bearer token of an upgrade request, or why it is refused before any token is compared. */
export function upgradeToken(headers: UpgradeHeaders, service: SingBoxService): { token: string } | { refusal: UpgradeRefusal } {
  // Go's Header.Get compares the value exactly: `Upgrade: Reverse-Proxy` is refused there too.
  if (headers.upgrade !== REVERSE_UPGRADE)
    return { refusal: { status: 400, type: 'invalid_request_error', message: 'missing Upgrade header' } };
  if (headers.hasApiKey) {
    const label = service === 'ccm' ? 'a CCM' : 'an OCM';
    const message = `API key authentication is not supported; use Authorization: Bearer with ${label} user token`;
    return { refusal: { status: 400, type: 'invalid_request_error', message } };
  }
  const authorization = headers.authorization ?? '';
  if (authorization === '') return { refusal: { status: 401, type: 'authentication_error', message: 'missing api key' } };
  if (!authorization.startsWith('Bearer ')) {
    return { refusal: { status: 401, type: 'authentication_error', message: 'invalid api key format' } };
  }
  return { token: authorization.slice('Bearer '.length) };
}

export const MISSING_UPGRADE: UpgradeRefusal = { status: 400, type: 'invalid_request_error', message: 'missing Upgrade header' };
export const INVALID_REVERSE_TOKEN: UpgradeRefusal = { status: 401, type: 'authentication_error', message: 'invalid reverse token' };

/**
 * The error body sing-box writes (`writeJSONError`, then json.Encoder's newline): Anthropic's
 * shape for CCM, OpenAI's for OCM, fields in the order Go's structs marshal them.
 */
export function refusalBody(service: SingBoxService, refusal: UpgradeRefusal, requestId = ''): string {
  const body =
    service === 'ccm'
      ? { error: { message: refusal.message, type: refusal.type }, request_id: requestId, type: 'error' }
      : { error: { code: '', message: refusal.message, param: '', type: refusal.type } };
  return `${JSON.stringify(body)}\n`;
}

/** Constant time over every candidate: neither the match's position nor a token's length leaks. */
export function matchToken<Peer extends { token: string }>(peers: readonly Peer[], token: string): Peer | undefined {
  const presented = createHash('sha256').update(token).digest();
  let found: Peer | undefined;
  for (const peer of peers) {
    if (timingSafeEqual(createHash('sha256').update(peer.token).digest(), presented)) found ??= peer;
  }
  return found;
}
