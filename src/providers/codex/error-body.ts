/**
 * OpenAI's error JSON (`{ error: { type, message, code } }`), which Codex shows to its user. Our
 * error kinds are Anthropic's words; these are the nearest OpenAI types.
 */
import type { ErrorKind, QuotaMeshError } from '../../lib/index.ts';

const CODEX_TYPES: Partial<Record<ErrorKind, string>> = {
  rate_limit_error: 'usage_limit_reached',
  authentication_error: 'invalid_request_error',
  not_found_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  overloaded_error: 'server_error',
  api_error: 'server_error',
};

export function codexErrorBody(error: QuotaMeshError): Record<string, unknown> {
  return { error: { type: CODEX_TYPES[error.kind] ?? error.kind, message: error.message, code: error.code } };
}
