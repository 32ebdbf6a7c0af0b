/**
 * The HTTP half of an OAuth token refresh, the same for every provider: one JSON POST and a
 * tolerant look at the answer. What to send and what the answer means stay with the provider
 * (claude-oauth.ts, codex-oauth.ts). Sent as http-exchange.ts sends (node:http(s), exactly the
 * caller's headers), plus Content-Length.
 */
import { errorMessage } from '../lib/index.ts';
import type { HeaderSource } from './header-values.ts';
import { exchange } from './http-exchange.ts';

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
    const answer = await exchange(new URL(oauthUrl), {
      method: 'POST',
      headers: headerLines(request.headers ?? (isForm ? FORM_HEADERS : DEFAULT_HEADERS), body.length),
      body,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxBytes: MAX_TOKEN_RESPONSE_BYTES,
    });
    return parse(answer.status, answer.headers, answer.text, options.nowMs());
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

/** The answer's JSON object, or undefined for anything else (HTML error pages, arrays, garbage). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
