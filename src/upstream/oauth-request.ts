/**
 * The HTTP half of an OAuth token refresh, the same for every provider: one JSON POST and a
 * tolerant look at the answer. What to send and what the answer means stay with the provider
 * (claude-oauth.ts, codex-oauth.ts).
 */
import { errorMessage } from '../lib/index.ts';

export interface TokenRequest {
  body: Record<string, string>;
  /** Added to the JSON content-type and accept headers (Claude's refresh needs its own UA). */
  headers?: Record<string, string>;
}

export interface TokenRequestOptions {
  nowMs: () => number;
  timeoutMs?: number;
}

/** Reads one answer of the token endpoint; `nowMs` is taken after the body arrived. */
export type TokenResponseParser<Result> = (status: number, headers: Headers, bodyText: string, nowMs: number) => Result;

/** One POST to the token endpoint. Never throws; never aborted by a client, only by timeout. */
export async function postTokenRequest<Result>(
  oauthUrl: string,
  request: TokenRequest,
  parse: TokenResponseParser<Result>,
  options: TokenRequestOptions,
): Promise<Result | { kind: 'failed'; message: string }> {
  try {
    const response = await fetch(oauthUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...request.headers },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    return parse(response.status, response.headers, text, options.nowMs());
  } catch (error) {
    return { kind: 'failed', message: `token endpoint unreachable (${errorMessage(error)})` };
  }
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
