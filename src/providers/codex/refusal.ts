/**
 * Whom a ChatGPT backend refusal is about (PROTOCOL.md › Errors). Codex CLI reads a 429's
 * `error.type`: `usage_limit_reached` is a spent window (with `resets_at`), `usage_not_included`
 * a plan that has no Codex (openai/codex codex-rs/codex-api/src/api_bridge.rs map_api_error), which
 * no wait mends and which benching would only spread over the pool. A `usage_limit_reached` whose
 * `x-codex-active-limit` names another family than `codex` while the `codex` windows are not
 * spent is that family's models' limit (Codex then says "switch to another model"). Anything else
 * stays the account's, as before.
 */
import type { RefusalScope, UpstreamOutcome } from '../../pool/index.ts';
import { headerReader, parseDecimal } from '../../upstream/index.ts';

export function codexRefusalScope(outcome: UpstreamOutcome): RefusalScope {
  if (outcome.status !== 429) return 'account';
  const type = codexErrorType(outcome.body);
  if (type === 'usage_not_included') return 'request';
  if (type === 'usage_limit_reached' && isOtherFamilyLimit(outcome.headers)) return 'model';
  return 'account';
}

function isOtherFamilyLimit(headers: UpstreamOutcome['headers']): boolean {
  const get = headerReader(headers);
  const active = get('x-codex-active-limit')?.trim().toLowerCase().replaceAll('_', '-');
  if (active === undefined || active === '' || active === 'codex') return false;
  const spent = ['primary', 'secondary'].some((slot) => (parseDecimal(get(`x-codex-${slot}-used-percent`)) ?? 0) >= 100);
  return !spent;
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
