/**
 * Whom an Anthropic refusal is about (PROTOCOL.md › Errors). Only a 429 whose unified headers
 * say the 5h or 7d window is rejected is about the account's capacity (router-for-me/CLIProxyAPI
 * internal/runtime/executor/helps/claude_ratelimit.go ClaudeHeadersIndicateUnifiedRateLimitRejection);
 * a 429 for fast mode or 1M context without extra usage comes with those windows `allowed` and
 * every account answers it alike (CLIProxyAPI claude_executor.go classifyClaudeUpstreamError).
 * A 429 with no unified headers at all is not known to be about the request, so it stays the
 * account's (the short header-less backoff, cooldown.ts) unless its message is a known one.
 */
import { refusalMessage, type RefusalScope, type UpstreamOutcome } from '../../pool/index.ts';
import { headerReader } from '../../upstream/index.ts';

const UNIFIED_PREFIX = 'anthropic-ratelimit-unified-';
/** Claims and windows of one model family (the weekly Opus/Sonnet windows; `7d_oi`). */
const MODEL_CLAIMS = new Set(['seven_day_opus', 'seven_day_sonnet']);
const MODEL_WINDOWS = ['7d_oi', '7d_opus', '7d_sonnet'];

/** "Usage credits are required for fast mode", "Extra usage is required for long context requests". */
function isRequestScoped429(message: string): boolean {
  return (
    (message.includes('fast mode') && message.includes('credits')) || (message.includes('long context') && message.includes('extra usage'))
  );
}

/** Claude Code's own credential used by something that does not look like Claude Code (400 or 403). */
function isClaudeCodeOnly(message: string): boolean {
  return message.includes('only authorized for use with claude code');
}

/**
 * The organization itself is refused (sub2api's handle403 org-ban cases: "This organization has
 * been disabled.", "OAuth authentication is currently not allowed for this organization.").
 */
function isAccountRefused(message: string): boolean {
  return (
    message.includes('organization has been disabled') || message.includes('authentication is currently not allowed for this organization')
  );
}

/** The family whose weekly window a model shares; other models are their own family. */
export function claudeModelFamily(model: string): string {
  const lower = model.toLowerCase();
  for (const family of ['opus', 'sonnet', 'haiku']) if (lower.includes(family)) return family;
  return lower.slice(0, 128);
}

export function claudeRefusalScope(outcome: UpstreamOutcome): RefusalScope {
  const message = refusalMessage(outcome.body)?.toLowerCase() ?? '';
  if (outcome.status === 400 || outcome.status === 403) {
    if (isClaudeCodeOnly(message)) return 'request';
    if (isAccountRefused(message)) return 'disabled';
    return 'account';
  }
  if (outcome.status !== 429) return 'account';
  const get = headerReader(outcome.headers);
  const status = (name: string): string | undefined => get(`${UNIFIED_PREFIX}${name}`)?.trim().toLowerCase();
  const fiveHour = status('5h-status');
  const weekly = status('7d-status');
  if (fiveHour === 'rejected' || weekly === 'rejected') return 'account';
  if (isRequestScoped429(message)) return 'request';
  const overall = status('status');
  if (overall === undefined && fiveHour === undefined && weekly === undefined) return 'account';
  if (overall !== 'rejected') return 'model';
  // Rejected overall with the shared windows fine: one model's weekly window, or overage alone.
  const claim = status('representative-claim') ?? '';
  const isModelOrOverage =
    MODEL_CLAIMS.has(claim) ||
    claim.includes('overage') ||
    MODEL_WINDOWS.some((window) => status(`${window}-status`) === 'rejected') ||
    status('overage-status') === 'rejected';
  return isModelOrOverage ? 'model' : 'account';
}
