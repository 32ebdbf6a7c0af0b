/**
 * Codex as one provider module: the Responses API under `/v1/responses` over HTTP and WebSocket
 * (and `/ocm/v1/status`), the `x-codex-*` headers and `codex.rate_limits` events, Codex's
 * `auth.json` and its OAuth refresh, `wham/usage` polling, token counts from Responses events,
 * and OpenAI's error JSON.
 */
import { codexLogin, DEFAULT_CODEX_AUTHORIZE_URL } from './login.ts';
import { httpUrl, type ProviderModule } from '../provider-module.ts';
import { codexRefusalScope } from './refusal.ts';
import { DEFAULT_CODEX_USAGE_URL } from './account-usage.ts';
import { codexAdapter } from './adapter.ts';
import type { CodexAuthDocument } from './auth-file.ts';
import { CodexDefaultCredential } from './default-credential.ts';
import { codexErrorBody } from './error-body.ts';
import { DEFAULT_CODEX_OAUTH_URL } from './oauth.ts';
import { parseCodexHeaders } from './ratelimit.ts';
import { codexTokenFormat } from './token-format.ts';
import { codexUsageTap } from './usage-tap.ts';
import { codexWebSocketWire } from './websocket-wire.ts';

const configFields = {
  authorize_url: httpUrl(DEFAULT_CODEX_AUTHORIZE_URL),
  api_url: httpUrl('https://chatgpt.com/backend-api/codex'),
  usage_url: httpUrl(DEFAULT_CODEX_USAGE_URL),
  oauth_url: httpUrl(DEFAULT_CODEX_OAUTH_URL),
};

export const codexProvider = {
  name: 'codex',
  label: 'Codex',
  routes: {
    prefixes: ['/v1/responses', '/ocm/'],
    // What Codex CLI calls against its `base_url` (a node's `/v1`): `responses` (POST; the GET
    // WebSocket upgrade is `websocket.path`) and `responses/compact` (openai/codex
    // codex-rs/codex-api/src/endpoint/compact.rs). Its `models` list is fetched only when signed in
    // with ChatGPT, never through a provider with `env_key` (codex-rs/core/src/models_manager/
    // manager.rs), and `/v1/models` is Claude's path.
    endpoints: [
      { method: 'POST', path: '/v1/responses' },
      { method: 'POST', path: '/v1/responses/compact' },
    ],
    status: '/ocm/v1/status',
    mustBeJson: (method, path) => method === 'POST' && (path === '/v1/responses' || path === '/v1/responses/compact'),
    requestInfo: (body, headers) => {
      const model = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).model : undefined;
      return { model: typeof model === 'string' ? model : undefined, sessionId: codexSessionKey(headers) };
    },
  },
  adapter: codexAdapter,
  parseRateLimitHeaders: (headers, nowSeconds) => parseCodexHeaders(headers, nowSeconds),
  refusalScope: codexRefusalScope,
  credentialFile: codexTokenFormat,
  createDefaultCredential: (spec, section) =>
    new CodexDefaultCredential({ ...spec, apiUrl: section.api_url, usageUrl: section.usage_url, oauthUrl: section.oauth_url }),
  usageTap: codexUsageTap,
  // Cached input is billed at a tenth of fresh input (GPT-5 / gpt-5-codex: $1.25 vs $0.125 per MTok).
  cacheReadWeight: 0.1,
  errorBody: codexErrorBody,
  configFields,
  login: codexLogin,
  websocket: codexWebSocketWire,
} as const satisfies ProviderModule<'codex', typeof configFields, CodexAuthDocument>;

/**
 * The sticky key of a Codex request: current Codex sends `session-id` and `thread-id`
 * (openai/codex codex-rs, `build_session_headers`), older Codex `session_id`; proxies rewrite `_`
 * and `-` either way. The session keeps all of a session's threads on one account; a client that
 * names only its thread is pinned by that.
 */
function codexSessionKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of ['session-id', 'session_id', 'thread-id', 'thread_id']) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
