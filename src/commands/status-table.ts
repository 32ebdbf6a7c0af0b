/**
 * `quotamesh status` as text (PROTOCOL.md › Status JSON): per provider the pool's 5-hour and weekly bars with
 * reset countdowns, state and plan weight, then (admin token) one two-line row per credential.
 * Pure: the caller passes `now`, the terminal width and whether to colour, so a recorded payload
 * renders the same on every machine.
 */
import type { ConsumerRow, CredentialStatusRow, NodeStatus, ProviderStatus } from '../status/index.ts';
import { bar, columns, countdown, paint, percentText, stateStyle, type Style } from './terminal-text.ts';

export interface RenderOptions {
  nowSeconds: number;
  /** Terminal columns; bars shrink or grow to fit. */
  width: number;
  color: boolean;
}

const WINDOWS = [
  { label: '5 hour', utilization: 'five_hour_utilization', reset: 'five_hour_reset' },
  { label: 'weekly', utilization: 'weekly_utilization', reset: 'weekly_reset' },
] as const;

export function renderStatus(status: NodeStatus, options: RenderOptions): string {
  const lines = [`${paint(`node ${status.node}`, 'bold', options.color)}${paint(` · ${utcTime(status.time)}`, 'dim', options.color)}`];
  const providers = Object.entries(status.providers).filter((entry): entry is [string, ProviderStatus] => entry[1] !== undefined);
  if (providers.length === 0) lines.push('', 'no provider is shared with this token');
  for (const [provider, value] of providers) {
    lines.push('', ...renderProvider(provider, value, options));
  }
  return `${lines.join('\n')}\n`;
}

function renderProvider(provider: string, value: ProviderStatus, options: RenderOptions): string[] {
  const { color, nowSeconds } = options;
  const heading = [paint(provider, 'bold', color), paint(value.state, stateStyle(value.state), color)];
  if (value.state !== 'usable' && value.retry_at > 0) heading.push(`retry in ${countdown(value.retry_at, nowSeconds)}`);
  heading.push(paint(`plan weight ${formatWeight(value.plan_weight)}`, 'dim', color));
  // 2 indent + 6 label + 2 + bar + 2 + 5 percent + 2 + "resets in 5d12h"
  const cells = clamp(options.width - 34, 10, 40);
  const rows = WINDOWS.map((window) => [
    `  ${window.label}`,
    bar(value[window.utilization], cells, color),
    paint(percentText(value[window.utilization]), percentStyle(value[window.utilization]), color),
    paint(resetText(value[window.reset], nowSeconds), 'dim', color),
  ]);
  const lines = [heading.join('  '), ...columns(rows, ['left', 'left', 'right', 'left'])];
  if (value.my_five_hour_percent !== undefined && value.my_weekly_percent !== undefined) lines.push(renderMine(value, options));
  if (value.credentials !== undefined && value.credentials.length > 0) {
    lines.push('', ...renderCredentials(value.credentials, options));
  }
  if (value.consumers !== undefined && value.consumers.length > 0) lines.push('', ...renderConsumers(value.consumers, options));
  return lines;
}

/**
 * Two lines per credential (its 5-hour window, then its weekly window), so the table fits 80
 * columns with bars that are still worth reading; the retry countdown sits under the state.
 */
function renderCredentials(credentials: CredentialStatusRow[], options: RenderOptions): string[] {
  const { color, nowSeconds } = options;
  const stateCells = credentials.map((credential) => [
    paint(credential.state, stateStyle(credential.state), color),
    credential.retry_at > nowSeconds ? paint(`retry ${countdown(credential.retry_at, nowSeconds)}`, 'yellow', color) : '',
  ]);
  const tagWidth = Math.max(10, ...credentials.map((credential) => credential.tag.length));
  const peerWidth = Math.max(4, ...credentials.map((credential) => (credential.peer ?? '-').length));
  const stateWidth = Math.max(12, ...stateCells.flat().map((cell) => cell.replace(/\x1b\[[0-9;]*m/g, '').length));
  // indent, tag, state, weight, peer, window label, percent, reset, and seven gaps of two
  const fixed = 2 + tagWidth + stateWidth + 6 + peerWidth + 6 + 5 + 6 + 7 * 2;
  const cells = clamp(options.width - fixed, 6, 24);
  const header = ['  credential', 'state', 'weight', 'peer', 'window', '', 'used', 'reset'].map((cell) => paint(cell, 'dim', color));
  const rows: string[][] = [header];
  credentials.forEach((credential, index) => {
    WINDOWS.forEach((window, line) => {
      const first = line === 0;
      const utilization = credential[window.utilization];
      rows.push([
        first ? `  ${credential.tag}` : '',
        stateCells[index]?.[line] ?? '',
        first ? formatWeight(credential.plan_weight) : '',
        first ? paint(credential.peer ?? '-', credential.peer === null ? 'dim' : 'cyan', color) : '',
        paint(window.label, 'dim', color),
        bar(utilization, cells, color),
        paint(percentText(utilization), percentStyle(utilization), color),
        countdown(credential[window.reset], nowSeconds),
      ]);
    });
  });
  return columns(rows, ['left', 'left', 'right', 'left', 'left', 'left', 'right', 'left']);
}

function resetText(resetAt: number, nowSeconds: number): string {
  const text = countdown(resetAt, nowSeconds);
  if (text === '-') return 'reset unknown';
  return text === 'now' ? 'resetting now' : `resets in ${text}`;
}

function percentStyle(percent: number): Style | undefined {
  return percent >= 90 ? 'red' : percent >= 70 ? 'yellow' : undefined;
}

function formatWeight(weight: number): string {
  return Number.isInteger(weight) ? String(weight) : weight.toFixed(1);
}

function utcTime(unixSeconds: number): string {
  if (!Number.isFinite(unixSeconds) || unixSeconds <= 0) return 'time unknown';
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** A user's or peer's own consumption (issue 15): points of its route, against its limits. */
function renderMine(value: ProviderStatus, options: RenderOptions): string {
  const limit = (percent: number | null | undefined): string => (percent === null || percent === undefined ? '' : ` of ${percent}%`);
  const parts = [
    `  you used ${formatPoints(value.my_five_hour_percent ?? 0)}%${limit(value.my_limits?.five_hour_percent)} (5 hour)`,
    `${formatPoints(value.my_weekly_percent ?? 0)}%${limit(value.my_limits?.weekly_percent)} (weekly)`,
  ];
  const retryAt = value.my_retry_at ?? 0;
  if (retryAt > options.nowSeconds)
    parts.push(paint(`over your limit, retry in ${countdown(retryAt, options.nowSeconds)}`, 'yellow', options.color));
  return parts.join(' · ');
}

/** The admin's table of every user's and peer's consumption. */
function renderConsumers(consumers: ConsumerRow[], options: RenderOptions): string[] {
  const { color, nowSeconds } = options;
  const limit = (percent: number | null): string => (percent === null ? '-' : `${percent}%`);
  const header = ['  caller', 'kind', '5 hour', 'limit', 'weekly', 'limit', ''].map((cell) => paint(cell, 'dim', color));
  const rows = consumers.map((row) => [
    `  ${row.caller}`,
    paint(row.kind, 'dim', color),
    `${formatPoints(row.five_hour_percent)}%`,
    limit(row.five_hour_limit),
    `${formatPoints(row.weekly_percent)}%`,
    limit(row.weekly_limit),
    row.retry_at > nowSeconds ? paint(`refused, retry in ${countdown(row.retry_at, nowSeconds)}`, 'yellow', color) : '',
  ]);
  return columns([header, ...rows], ['left', 'left', 'right', 'right', 'right', 'right', 'left']);
}

function formatPoints(points: number): string {
  return points >= 10 ? points.toFixed(1) : points.toFixed(2);
}
