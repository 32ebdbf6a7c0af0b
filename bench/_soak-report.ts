/**
 * What the soak measures besides the ledger: per-process samples (RSS, heap after GC, active
 * handles), the flatness verdict, tunnel open streams from /metrics, and the node logs (warnings
 * by message, and a scan for every token the run knew).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { SoakStats } from './_soak-child.ts';

export type Role = 'sim' | 'hub' | 'laptop';
export const ROLES: Role[] = ['sim', 'hub', 'laptop'];

export interface Sample {
  elapsedMs: number;
  /** Taken while traffic ran (the flatness verdict uses only these). */
  duringTraffic: boolean;
  /** Which hub process (0 = the first; each SIGKILL + restart adds one). */
  hubGeneration: number;
  stats: Record<Role, SoakStats | undefined>;
}

export const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

export function sampleLine(sample: Sample): string {
  const part = (pick: (stats: SoakStats) => string): string =>
    ROLES.map((role) => `${role} ${sample.stats[role] ? pick(sample.stats[role]) : '-'}`).join(', ');
  return `rss MiB ${part((s) => mib(s.rssBytes))} | heap MiB ${part((s) => mib(s.heapUsedBytes))} | handles ${part((s) => String(s.handles))}`;
}

export interface Flatness {
  role: Role;
  samples: number;
  rssFirst: number;
  rssLast: number;
  heapFirst: number;
  heapLast: number;
  isFlat: boolean;
}

/**
 * Mean of the first third of a process's traffic samples against the last third. Flat: neither
 * RSS nor heap grew by more than 10 % (or by less than a small absolute slack, for small heaps).
 * The hub is judged over its last process only: a restarted process starts small again.
 */
export function flatness(samples: readonly Sample[], role: Role): Flatness | undefined {
  const lastGeneration = samples.at(-1)?.hubGeneration ?? 0;
  const series = samples
    .filter((sample) => sample.duringTraffic && (role !== 'hub' || sample.hubGeneration === lastGeneration))
    .map((sample) => sample.stats[role])
    .filter((stats): stats is SoakStats => stats !== undefined);
  const third = Math.floor(series.length / 3);
  if (third === 0) return undefined;
  const mean = (values: SoakStats[], pick: (stats: SoakStats) => number): number =>
    values.reduce((sum, stats) => sum + pick(stats), 0) / values.length;
  const first = series.slice(0, third);
  const last = series.slice(-third);
  const rssFirst = mean(first, (s) => s.rssBytes);
  const rssLast = mean(last, (s) => s.rssBytes);
  const heapFirst = mean(first, (s) => s.heapUsedBytes);
  const heapLast = mean(last, (s) => s.heapUsedBytes);
  const grewLittle = (before: number, after: number, slackBytes: number): boolean => after <= before * 1.1 || after - before <= slackBytes;
  const isFlat = grewLittle(rssFirst, rssLast, 16 * 1024 * 1024) && grewLittle(heapFirst, heapLast, 4 * 1024 * 1024);
  return { role, samples: series.length, rssFirst, rssLast, heapFirst, heapLast, isFlat };
}

export function flatnessLine(result: Flatness): string {
  const change = (before: number, after: number): string =>
    `${mib(before)} → ${mib(after)} MiB (${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)} %)`;
  return `${result.role.padEnd(6)} rss ${change(result.rssFirst, result.rssLast)}, heap ${change(result.heapFirst, result.heapLast)} over ${result.samples} samples: ${result.isFlat ? 'flat' : 'GROWING'}`;
}

/** A node's /metrics text (admin token); empty when it does not answer. */
export async function scrapeMetrics(nodeUrl: string, adminToken: string): Promise<string> {
  try {
    const response = await fetch(`${nodeUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    return await response.text();
  } catch {
    return '';
  }
}

/** The sum of a metric's samples whose labels include `labels`; undefined when there is none. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]));
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

export interface LogScan {
  lines: number;
  /** Warnings and errors by message, most frequent first. */
  warnings: Array<[string, number]>;
  /** Lines holding any known token. */
  leaks: number;
}

export function scanLog(path: string, secrets: ReadonlySet<string>): LogScan {
  const scan: LogScan = { lines: 0, warnings: [], leaks: 0 };
  if (!existsSync(path)) return scan;
  const warnings = new Map<string, number>();
  const known = [...secrets].filter((secret) => secret.length >= 8);
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue;
    scan.lines += 1;
    if (known.some((secret) => text.includes(secret))) scan.leaks += 1;
    try {
      const line = JSON.parse(text) as { level?: number; msg?: string };
      if ((line.level ?? 0) >= 40) warnings.set(line.msg ?? '?', (warnings.get(line.msg ?? '?') ?? 0) + 1);
    } catch {
      // A line cut by the SIGKILL: counted, not parsed.
    }
  }
  scan.warnings = [...warnings].sort((a, b) => b[1] - a[1]);
  return scan;
}
