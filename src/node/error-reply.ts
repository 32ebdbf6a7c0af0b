/**
 * The one place errors become HTTP responses, in the provider's own shape (each provider module
 * writes its body) so Claude Code and Codex show the message instead of a parse failure.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { QuotaMeshError } from '../lib/index.ts';
import type { AnyProviderModule } from '../providers/index.ts';

/** The provider is always named: a node's own paths get theirs from providerFor, never by default here. */
export function errorBody(provider: AnyProviderModule, error: QuotaMeshError): Record<string, unknown> {
  return provider.errorBody(error, requestId());
}

export function sendError(
  response: ServerResponse,
  provider: AnyProviderModule,
  error: QuotaMeshError,
  extraHeaders: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy(error);
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  response.writeHead(error.status, headers);
  response.end(JSON.stringify(errorBody(provider, error)));
}

/** Ids in Anthropic's `req_…` style so logs and client errors can be matched. */
export function requestId(): string {
  return `req_qm_${randomBytes(12).toString('base64url')}`;
}

export const errors = {
  unauthenticated: () => new QuotaMeshError('unauthenticated', 401, 'authentication_error', 'invalid x-api-key or bearer token'),
  forbidden: (message: string) => new QuotaMeshError('forbidden', 403, 'permission_error', message),
  notFound: (path: string) => new QuotaMeshError('not_found', 404, 'not_found_error', `no route for ${path}`),
  tooLarge: () => new QuotaMeshError('body_too_large', 413, 'request_too_large', 'request body is larger than 32 MiB'),
  badTarget: () =>
    new QuotaMeshError(
      'bad_request_target',
      400,
      'invalid_request_error',
      'the request target must be a path (origin-form), not an absolute URL, an authority or *',
    ),
  callerBudget: () =>
    new QuotaMeshError(
      'request_budget_exceeded',
      429,
      'rate_limit_error',
      'too many requests or request bytes in flight from you on this node; retry when one finishes',
      { retryAfterSeconds: 1 },
    ),
  nodeBudget: () =>
    new QuotaMeshError(
      'node_budget_exceeded',
      503,
      'overloaded_error',
      'this node holds as many requests or request bytes as it allows; retry shortly',
      { retryAfterSeconds: 1 },
    ),
  beyondBudget: () =>
    new QuotaMeshError('body_too_large', 413, 'request_too_large', "request body is larger than this node's request budget"),
  badUrl: (detail: string) => new QuotaMeshError('bad_url', 400, 'invalid_request_error', detail),
  badInput: (status: number, code: string, detail: string) => new QuotaMeshError(code, status, 'invalid_request_error', detail),
  malformedJson: (detail: string) =>
    new QuotaMeshError('malformed_json', 400, 'invalid_request_error', `request body is not valid JSON: ${detail}`),
  badGateway: (detail: string) => new QuotaMeshError('upstream_unreachable', 502, 'api_error', `upstream request failed: ${detail}`),
  loop: (via: string[]) =>
    new QuotaMeshError(
      'loop_detected',
      508,
      'api_error',
      `request loop between nodes (via ${via.join(' → ') || 'nothing'}); not forwarded`,
    ),
  /** Every usable credential of the route stayed at its `max_concurrent` (or a peer's tunnel was full). */
  credentialsBusy: (reason: 'full' | 'timeout', busy: number) =>
    new QuotaMeshError(
      'credentials_busy',
      503,
      'overloaded_error',
      `${busy === 1 ? 'the one credential' : `all ${busy} credentials`} this request may use ${busy === 1 ? 'is' : 'are'} carrying as many requests as allowed (max_concurrent)` +
        (reason === 'full' ? ' and the line of waiting requests is full' : ' and none finished while this request waited') +
        '; retry shortly',
      { retryAfterSeconds: 1 },
    ),
  shuttingDown: () => new QuotaMeshError('shutting_down', 503, 'overloaded_error', 'node is shutting down', { retryAfterSeconds: 5 }),
};
