/**
 * The one line `quotamesh statusline` prints under Claude Code's prompt. Pure: the caller passes
 * the node's view, `now` (on the node's clock) and whether to colour. Claude Code shows the line
 * dimmed and cuts it at the terminal width, so the pool comes first and the account last.
 */
import type { ProviderStatus, SessionAssignment } from '../status/index.ts';
import { countdown, paint, utilizationStyle } from './terminal-text.ts';

export interface StatuslineView {
  /** The Claude pool as this user's route sees it. */
  pool: ProviderStatus;
  /** Where this session's requests go; undefined when the session is unknown. */
  session: SessionAssignment | undefined;
}

export function renderStatusline(view: StatuslineView, nowSeconds: number, color: boolean): string {
  const { pool } = view;
  const parts: string[] = [];
  if (pool.state === 'rate_limited') {
    const back = pool.retry_at > nowSeconds ? `, back in ${countdown(pool.retry_at, nowSeconds)}` : '';
    parts.push(`pool ${paint('exhausted', 'red', color)}${back}`);
  } else if (pool.state === 'unavailable') {
    parts.push(`pool ${paint('unavailable', 'red', color)}`);
  } else {
    parts.push(`pool 5h ${windowText(pool.five_hour_utilization, pool.five_hour_reset, nowSeconds, color)}`);
    parts.push(`week ${windowText(pool.weekly_utilization, pool.weekly_reset, nowSeconds, color)}`);
  }
  const account = accountText(view.session);
  if (account !== undefined) parts.push(account);
  return parts.join(' · ');
}

/** `offline` stays short and dim: the prompt is what matters when the node is down. */
export function renderOffline(color: boolean): string {
  return paint('quotamesh: offline', 'dim', color);
}

export function renderNoToken(color: boolean): string {
  return paint('quotamesh: no token (set QUOTAMESH_TOKEN)', 'dim', color);
}

function windowText(rawUtilization: number, resetAt: number, nowSeconds: number, color: boolean): string {
  // A reset that passed since the node answered means a fresh window (as the node itself reads it).
  const rolledOver = resetAt > 0 && resetAt <= nowSeconds;
  const utilization = rolledOver ? 0 : Math.min(100, Math.max(0, Number.isFinite(rawUtilization) ? rawUtilization : 100));
  const percent = paint(`${Math.round(utilization)}%`, utilizationStyle(utilization), color);
  return rolledOver || resetAt <= 0 ? percent : `${percent} resets ${countdown(resetAt, nowSeconds)}`;
}

function accountText(session: SessionAssignment | undefined): string | undefined {
  if (session?.credential == null) return undefined;
  const credential = printable(session.credential);
  return session.peer === null ? `account ${credential}` : `account ${credential} (peer ${printable(session.peer)})`;
}

/** Names come from the node's config; an escape code in one must not restyle the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 64);
}
