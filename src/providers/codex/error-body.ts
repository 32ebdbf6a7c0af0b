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

/**
 * An exhausted pool speaks the backend's own 429 (`usage_limit_reached` with `resets_at`, as Codex
 * CLI parses it in openai/codex codex-rs/codex-api/src/api_bridge.rs: integer epoch seconds, and
 * `plan_type`). The plan is the pool's, which no ChatGPT plan names: `pool` reads as an unknown
 * plan, for which Codex shows "try again at <reset>" and no upgrade advice.
 */
export function codexErrorBody(error: QuotaMeshError): Record<string, unknown> {
  const body: Record<string, unknown> = { type: CODEX_TYPES[error.kind] ?? error.kind, message: error.message, code: error.code };
  if (error.kind === 'rate_limit_error' && error.retryAt !== undefined) {
    body['plan_type'] = POOL_PLAN_TYPE;
    body['resets_at'] = Math.ceil(error.retryAt);
    body['resets_in_seconds'] = Math.max(0, Math.ceil(error.retryAfterSeconds ?? 0));
  }
  return { error: body };
}

export const POOL_PLAN_TYPE = 'pool';
