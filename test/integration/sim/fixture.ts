import Anthropic from '@anthropic-ai/sdk';
import type { SimAccount, Simulator } from '../../../src/sim/index.ts';

export const OAUTH_BETA = 'oauth-2025-04-20';
export const MODEL = 'claude-sonnet-5';
export const UNIFIED = 'anthropic-ratelimit-unified';

export function oauthHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'anthropic-beta': `${OAUTH_BETA},claude-code-20250219`,
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
  };
}

export function messageBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'hello' }], ...extra });
}

export function postMessages(sim: Simulator, token: string, body = messageBody(), path = '/v1/messages?beta=true'): Promise<Response> {
  return fetch(`${sim.url}${path}`, { method: 'POST', headers: oauthHeaders(token), body });
}

/** The official SDK as Claude Code would configure it for a subscription token; no retries. */
export function sdkFor(sim: Simulator, account: Readonly<SimAccount>): Anthropic {
  return new Anthropic({
    baseURL: sim.url,
    apiKey: null,
    authToken: account.accessToken,
    defaultHeaders: { 'anthropic-beta': OAUTH_BETA },
    maxRetries: 0,
  });
}

export function refresh(sim: Simulator, refreshToken: string, clientId = '9d1c250a-e61b-44d9-88ed-5944d1962f5e'): Promise<Response> {
  return fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
  });
}

/** Reads an SSE body, returning event names and how many separate reads delivered them. */
export async function readEvents(
  response: Response,
  options: { until?: (names: string[]) => boolean } = {},
): Promise<{ names: string[]; reads: number; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  if (response.body === null) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const names: string[] = [];
  let buffer = '';
  let reads = 0;
  for (;;) {
    if (options.until?.(names) === true) break;
    const { done, value } = await reader.read();
    if (done) break;
    reads += 1;
    buffer += decoder.decode(value, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary !== -1) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const name = /^event: (.+)$/m.exec(frame)?.[1];
      if (name !== undefined) names.push(name);
      boundary = buffer.indexOf('\n\n');
    }
  }
  return { names, reads, reader };
}

export function unifiedHeaderNames(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => name.startsWith(UNIFIED));
}
