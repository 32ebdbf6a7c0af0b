/**
 * Claude's per-model weekly windows: an account whose Opus (or Sonnet) week is spent refuses that
 * model with 429 while its shared 5h/7d windows stay `allowed` and other models keep working.
 * The refusal names the claim (`seven_day_opus` / `seven_day_sonnet`) and carries the model
 * window's own headers (`-7d_oi-*` for Opus, `-7d_sonnet-*`), as router-for-me/CLIProxyAPI
 * internal/runtime/executor/helps/claude_ratelimit.go reads them: a rejection with 5h and 7d
 * allowed is model-scoped.
 */
import { toUnixSeconds } from '../../lib/index.ts';
import type { SimAccount } from './accounts.ts';
import { formatFraction, windowStatus } from './windows.ts';

export type ModelFamily = 'opus' | 'sonnet';

interface ModelWindow {
  claim: string;
  infix: string;
  utilization: number;
}

export function modelFamilyOf(model: string): ModelFamily | undefined {
  const lower = model.toLowerCase();
  if (lower.includes('opus')) return 'opus';
  if (lower.includes('sonnet')) return 'sonnet';
  return undefined;
}

function windowOf(account: Readonly<SimAccount>, family: ModelFamily): ModelWindow {
  return family === 'opus'
    ? { claim: 'seven_day_opus', infix: '7d_oi', utilization: account.opusWeeklyUtilization }
    : { claim: 'seven_day_sonnet', infix: '7d_sonnet', utilization: account.sonnetWeeklyUtilization };
}

/** The model window's headers for a request of `model`; a rejected one also takes over the summary. */
export function modelWindowHeaders(account: Readonly<SimAccount>, model: string): Record<string, string> {
  const family = modelFamilyOf(model);
  if (family === undefined) return {};
  const window = windowOf(account, family);
  const prefix = 'anthropic-ratelimit-unified';
  const status = windowStatus(window.utilization);
  const headers: Record<string, string> = {
    [`${prefix}-${window.infix}-status`]: status,
    [`${prefix}-${window.infix}-utilization`]: formatFraction(window.utilization),
    [`${prefix}-${window.infix}-reset`]: String(toUnixSeconds(account.weeklyResetAtMs)),
  };
  if (status === 'rejected') {
    headers[`${prefix}-status`] = 'rejected';
    headers[`${prefix}-representative-claim`] = window.claim;
    headers[`${prefix}-reset`] = String(toUnixSeconds(account.weeklyResetAtMs));
  }
  return headers;
}

export function isModelRejected(account: Readonly<SimAccount>, model: string): boolean {
  const family = modelFamilyOf(model);
  return family !== undefined && windowOf(account, family).utilization >= 100;
}
