/**
 * Claude as one provider module: the Messages API (`/v1/messages`, `/v1/messages/count_tokens`,
 * `/v1/models`; and `/ccm/v1/status`), the
 * unified rate-limit headers, Claude Code's `.credentials.json` and its OAuth refresh, usage and
 * profile polling, token counts from Messages responses, and Anthropic's error JSON.
 */
import { claudeLogin, DEFAULT_CLAUDE_AUTHORIZE_URL } from './login.ts';
import { httpUrl, type ProviderModule } from '../provider-module.ts';
import { claudeRefusalScope } from './refusal.ts';
import { claudeAdapter } from './adapter.ts';
import type { ClaudeCredentialDocument } from './credential-file.ts';
import { ClaudeDefaultCredential, DEFAULT_CLAUDE_OAUTH_URL } from './default-credential.ts';
import { messagesRequestInfo } from './messages.ts';
import { parseUnifiedHeaders } from './ratelimit.ts';
import { claudeTokenFormat } from './token-format.ts';
import { claudeUsageTap } from './usage-tap.ts';

const configFields = {
  authorize_url: httpUrl(DEFAULT_CLAUDE_AUTHORIZE_URL),
  api_url: httpUrl('https://api.anthropic.com'),
  oauth_url: httpUrl(DEFAULT_CLAUDE_OAUTH_URL),
};

export const claudeProvider = {
  name: 'claude',
  label: 'Claude',
  routes: {
    prefixes: ['/v1/', '/ccm/'],
    // What Claude Code calls (`?beta=true` rides in the query); not the rest of the API the OAuth
    // token could reach (files, batches, skills, organisation endpoints).
    endpoints: [
      { method: 'POST', path: '/v1/messages' },
      { method: 'POST', path: '/v1/messages/count_tokens' },
      { method: 'GET', path: '/v1/models' },
      { method: 'GET', path: '/v1/models/:id' },
    ],
    status: '/ccm/v1/status',
    mustBeJson: (method, path) => method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens'),
    requestInfo: (body, headers) => messagesRequestInfo(body, headers),
  },
  adapter: claudeAdapter,
  parseRateLimitHeaders: (headers, nowSeconds) => parseUnifiedHeaders(headers, nowSeconds),
  refusalScope: claudeRefusalScope,
  credentialFile: claudeTokenFormat,
  createDefaultCredential: (spec, section) =>
    new ClaudeDefaultCredential({ ...spec, apiUrl: section.api_url, oauthUrl: section.oauth_url }),
  usageTap: claudeUsageTap,
  // Cache hits are billed at a tenth of base input (Anthropic's prompt-caching price table, e.g.
  // Sonnet 4.5 $3 input vs $0.30 cache hits).
  cacheReadWeight: 0.1,
  // Anthropic's shape: Claude Code shows `error.message` and logs the request id.
  errorBody: (error, requestId) => ({ type: 'error', error: { type: error.kind, message: error.message }, request_id: requestId }),
  configFields,
  login: claudeLogin,
} as const satisfies ProviderModule<'claude', typeof configFields, ClaudeCredentialDocument>;
