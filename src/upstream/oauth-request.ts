/**
 * The HTTP half of an OAuth token refresh, the same for every provider: one JSON POST and a
 * tolerant look at the answer. What to send and what the answer means stay with the provider
 * (claude-oauth.ts, codex-oauth.ts). Sent with node:http(s), not fetch: fetch adds headers of its
 * own (`accept-language: *`, `sec-fetch-mode: cors`) that the vendors' own clients never send, and
 * a token endpoint is where a client fingerprint is looked at most closely. The request carries
 * exactly the caller's headers, in the caller's order, plus Content-Length, Host and Connection.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { errorMessage } from '../lib/index.ts';
import type { HeaderSource } from './header-values.ts';

/** A token answer is a few hundred bytes; anything near this is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface TokenRequest {
  body: Record<string, string>;
  /**
   * Header lines in wire order and spelling. Default: `Content-Type: application/json`,
   * `Accept: application/json`. Content-Length is inserted after the caller's headers unless an
   * `Accept-Encoding` is among them, in which case it goes before it (axios's order).
   */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** `form`: `application/x-www-form-urlencoded`, as Codex CLI sends its code exchange. Default JSON. */
  encoding?: 'json' | 'form';
}

export interface TokenRequestOptions {
  nowMs: () => number;
  timeoutMs?: number;
}

/** Reads one answer of the token endpoint; `nowMs` is taken after the body arrived. */
export type TokenResponseParser<Result> = (status: number, headers: HeaderSource, bodyText: string, nowMs: number) => Result;

const DEFAULT_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Type', 'application/json'],
  ['Accept', 'application/json'],
];

const FORM_HEADERS: ReadonlyArray<readonly [string, string]> = [['Content-Type', 'application/x-www-form-urlencoded']];

/** One POST to the token endpoint. Never throws; never aborted by a client, only by timeout. */
export async function postTokenRequest<Result>(
  oauthUrl: string,
  request: TokenRequest,
  parse: TokenResponseParser<Result>,
  options: TokenRequestOptions,
): Promise<Result | { kind: 'failed'; message: string }> {
  try {
    const isForm = request.encoding === 'form';
    const body = Buffer.from(isForm ? new URLSearchParams(request.body).toString() : JSON.stringify(request.body));
    const response = await post(
      new URL(oauthUrl),
      headerLines(request.headers ?? (isForm ? FORM_HEADERS : DEFAULT_HEADERS), body.length),
      body,
      options.timeoutMs ?? 15_000,
    );
    const text = await readText(response);
    return parse(response.statusCode ?? 0, response.headers, text, options.nowMs());
  } catch (error) {
    return { kind: 'failed', message: `token endpoint unreachable (${errorMessage(error)})` };
  }
}

/** An object whose key order and spelling are the wire's: node writes them so, then Host and Connection. */
function headerLines(headers: ReadonlyArray<readonly [string, string]>, length: number): Record<string, string> {
  const lines: Array<readonly [string, string]> = [...headers];
  const encodingAt = headers.findIndex(([name]) => name.toLowerCase() === 'accept-encoding');
  lines.splice(encodingAt === -1 ? lines.length : encodingAt, 0, ['Content-Length', String(length)]);
  return Object.fromEntries(lines);
}

function post(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (send === undefined) return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs) }, resolve);
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

/** The body as text, decoded as the server encoded it, refused past the bound. */
async function readText(response: IncomingMessage): Promise<string> {
  const encoding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoders: Record<string, () => Readable & NodeJS.WritableStream> = {
    gzip: createGunzip,
    'x-gzip': createGunzip,
    deflate: createInflate,
    br: createBrotliDecompress,
  };
  const decoder = decoders[encoding];
  const stream: Readable = decoder === undefined ? response : response.pipe(decoder());
  if (decoder !== undefined) response.once('error', (error) => stream.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      response.destroy();
      throw new Error('token endpoint answer too large');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer's JSON object, or undefined for anything else (HTML error pages, arrays, garbage). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
