/**
 * Small pure pieces of terminal output shared by `quotamesh status` renderers: colour that
 * switches off cleanly, utilization bars, reset countdowns and column padding that ignores
 * escape codes. Nothing here reads the clock or the terminal: callers pass `now` and `color`.
 */
export type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan';

const CODES: Record<Style, string> = { bold: '1', dim: '2', green: '32', yellow: '33', red: '31', cyan: '36' };
// Matches the SGR sequences paint() writes, so widths are measured on what a person sees.
const SGR = /\x1b\[[0-9;]*m/g;

export function paint(text: string, style: Style | undefined, color: boolean): string {
  if (!color || style === undefined || text === '') return text;
  return `\x1b[${CODES[style]}m${text}\x1b[0m`;
}

export function visibleLength(text: string): number {
  return [...text.replace(SGR, '')].length;
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

export function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - visibleLength(text))) + text;
}

/** Green with room to spare, yellow when it is getting close, red when (nearly) gone. */
export function utilizationStyle(percent: number): Style {
  if (percent >= 90) return 'red';
  if (percent >= 70) return 'yellow';
  return 'green';
}

export function stateStyle(state: string): Style {
  if (state === 'usable') return 'green';
  if (state === 'rate_limited') return 'yellow';
  return 'red';
}

/** `█████░░░░░`: filled cells rounded, but any use above zero shows at least one cell. */
export function bar(percent: number, cells: number, color: boolean): string {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 100));
  let filled = Math.round((clamped / 100) * cells);
  if (clamped > 0 && filled === 0) filled = 1;
  if (clamped < 100 && filled === cells && cells > 1) filled = cells - 1;
  return paint('█'.repeat(filled), utilizationStyle(clamped), color) + paint('░'.repeat(cells - filled), 'dim', color);
}

/** `41.0%` below 100, `100%` at the top, so the column stays five characters wide. */
export function percentText(percent: number): string {
  return percent >= 99.95 ? '100%' : `${percent.toFixed(1)}%`;
}

/**
 * Time until `resetAt` (Unix seconds) as the two largest units: `5d12h`, `2h13m`, `13m`,
 * `<1m`; `-` when unknown (0, as in PROTOCOL.md › Status JSON) and `now` once it has passed.
 */
export function countdown(resetAt: number, nowSeconds: number): string {
  if (!Number.isFinite(resetAt) || resetAt <= 0) return '-';
  const seconds = Math.floor(resetAt - nowSeconds);
  if (seconds <= 0) return 'now';
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days}d${String(hours).padStart(2, '0')}h`;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m`;
  return '<1m';
}

/** 950, 12.3k, 4.56M: token counts span six orders of magnitude in one column. */
export function compactNumber(value: number): string {
  if (value < 1000) return String(Math.round(value));
  if (value < 1_000_000) return `${trimZeros((value / 1000).toFixed(value < 10_000 ? 2 : 1))}k`;
  if (value < 1_000_000_000) return `${trimZeros((value / 1_000_000).toFixed(value < 10_000_000 ? 2 : 1))}M`;
  return `${trimZeros((value / 1_000_000_000).toFixed(2))}G`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Lays out rows of cells with per-column alignment; widths come from the widest cell. */
export function columns(rows: string[][], align: Array<'left' | 'right'>, gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        if (align[index] === 'right') return padStart(cell, width);
        return index === row.length - 1 ? cell : padEnd(cell, width);
      })
      .join(' '.repeat(gap))
      .trimEnd(),
  );
}
