import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorKind } from '../lib/index.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(length: number): string {
  const bytes = randomBytes(length);
  let text = '';
  for (const byte of bytes) text += BASE62[byte % BASE62.length];
  return text;
}

/** Real ids look like `req_011CV…` and `msg_01…` with a base62 tail. */
export function newRequestId(): string {
  return `req_011C${base62(20)}`;
}

export function newMessageId(): string {
  return `msg_01${base62(22)}`;
}

/** Error messages as the real API words them. */
export const ERROR_MESSAGES = Object.freeze({
  // The API's own wording for an expired OAuth access token.
  expired: 'OAuth token has expired. Please obtain a new token or refresh your existing token.',
  revoked: 'OAuth token has been revoked. Please obtain a new token.',
  invalid: 'Invalid authentication credentials',
  /** What api.anthropic.com says to a Bearer token sent without the oauth beta flag. */
  oauthBetaMissing: 'OAuth authentication is currently not supported.',
  missingAuth: 'x-api-key header is required',
  invalidApiKey: 'invalid x-api-key',
  scope: 'OAuth token does not meet scope requirement user:profile',
  rateLimit: "This request would exceed your account's rate limit. Please try again later.",
  overloaded: 'Overloaded',
  internal: 'Internal server error',
});

export type AuthFailure = 'expired' | 'revoked' | 'invalid' | 'oauthBetaMissing' | 'missingAuth' | 'invalidApiKey';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: ErrorKind; message: string };
  request_id: string;
}

export function anthropicErrorBody(kind: ErrorKind, message: string, requestId: string): AnthropicErrorBody {
  return { type: 'error', error: { type: kind, message }, request_id: requestId };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Anthropic's error shape with a matching `request-id` header (header and body ids agree). */
export function sendAnthropicError(
  res: ServerResponse,
  status: number,
  kind: ErrorKind,
  message: string,
  headers: Record<string, string> = {},
): void {
  const requestId = headers['request-id'] ?? newRequestId();
  sendJson(res, status, anthropicErrorBody(kind, message, requestId), { ...headers, 'request-id': requestId });
}

export function sendAuthFailure(res: ServerResponse, failure: AuthFailure): void {
  sendAnthropicError(res, 401, 'authentication_error', ERROR_MESSAGES[failure]);
}

/** Bounded so a runaway client cannot exhaust memory; the real API's limit is 32 MB too. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function hasOAuthBeta(req: IncomingMessage): boolean {
  const header = req.headers['anthropic-beta'];
  const values = Array.isArray(header) ? header : [header ?? ''];
  return values.some((value) => value.split(',').some((flag) => flag.trim() === 'oauth-2025-04-20'));
}

/** One request as every simulator handler sees it. */
export interface SimExchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  /** Aborts when the client goes away or the simulator closes. */
  signal: AbortSignal;
}

/** What Cloudflare's bot management sets on api.anthropic.com and chatgpt.com answers. */
export function cloudflareCookie(): string {
  return `__cf_bm=${randomBytes(24).toString('base64url')}; path=/; HttpOnly; Secure; SameSite=None`;
}
