/**
 * Whom a ChatGPT backend refusal is about (PROTOCOL.md › Errors). Codex CLI reads a 429's
 * `error.type`: `usage_limit_reached` is a spent window (with `resets_at`), `usage_not_included`
 * a plan that has no Codex (openai/codex codex-rs/codex-api/src/api_bridge.rs map_api_error), which
 * no wait mends and which benching would only spread over the pool. Anything else stays the
 * account's, as before.
 */
import type { RefusalScope, UpstreamOutcome } from '../../pool/index.ts';

export function codexRefusalScope(outcome: UpstreamOutcome): RefusalScope {
  if (outcome.status !== 429) return 'account';
  return codexErrorType(outcome.body) === 'usage_not_included' ? 'request' : 'account';
}

function codexErrorType(body: string | undefined): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    const error = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['error'] : undefined;
    const type = error !== null && typeof error === 'object' ? (error as Record<string, unknown>)['type'] : undefined;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}
