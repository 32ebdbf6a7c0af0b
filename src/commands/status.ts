/**
 * `quotamesh status` (README.md › Commands): a node's `/v1/status` as a table (colour only on a TTY, and not
 * under NO_COLOR) or as JSON, once or redrawn on every `?watch=true` frame, with a usage summary
 * from a local ledger file when one is named.
 */
import { LineSplitter } from '../lib/index.ts';
import type { NodeStatus } from '../status/index.ts';
import { requestNode } from './node-request.ts';
import { localDayStartMs, readLedgerSummary, renderLedgerSummary } from './ledger-summary.ts';
import { renderStatus } from './status-table.ts';

export interface StatusCommandOptions {
  url: string | undefined;
  token: string | undefined;
  watch: boolean;
  json: boolean;
  /** A node's `state_dir/usage.jsonl`, when it is on this machine. */
  ledger?: string | undefined;
}

export interface StatusOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface StatusEnvironment {
  stdout: StatusOutput;
  env: Record<string, string | undefined>;
}

// Re-reading a busy ledger on every coalesced frame would cost more than the status it decorates.
const LEDGER_REFRESH_MS = 5000;
// Home, then erase the screen: the next frame replaces the last instead of scrolling.
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export async function runStatus(
  options: StatusCommandOptions,
  environment: StatusEnvironment = { stdout: process.stdout, env: process.env },
): Promise<number> {
  const { stdout, env } = environment;
  const url = options.url ?? nonEmpty(env.QUOTAMESH_URL) ?? 'http://127.0.0.1:8787';
  const token = options.token ?? nonEmpty(env.QUOTAMESH_TOKEN);
  if (token === undefined) throw new Error('no token: pass --token or set QUOTAMESH_TOKEN');
  const ledgerPath = options.ledger ?? nonEmpty(env.QUOTAMESH_LEDGER);
  const isTTY = stdout.isTTY === true;
  // https://no-color.org: any non-empty NO_COLOR turns colour off.
  const color = isTTY && nonEmpty(env.NO_COLOR) === undefined;
  const ledgerText = ledgerReader(ledgerPath, color);

  const show = async (status: NodeStatus): Promise<void> => {
    if (options.json) {
      stdout.write(options.watch ? `${JSON.stringify(status)}\n` : `${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    // Countdowns are measured against the node's own clock, so a skewed local clock cannot lie.
    const nowSeconds = status.time > 0 ? status.time : Math.floor(Date.now() / 1000);
    let text = renderStatus(status, { nowSeconds, width: stdout.columns ?? 80, color });
    const summary = await ledgerText();
    if (summary !== undefined) text += `\n${summary}`;
    if (!options.watch) stdout.write(text);
    else stdout.write(isTTY ? CLEAR_SCREEN + text : `${text}\n`);
  };

  const response = await request(url, token, options.watch);
  if (!options.watch) {
    await show((await response.json()) as NodeStatus);
    return 0;
  }
  for await (const line of ndjsonLines(response)) {
    const status = parseFrame(line);
    if (status !== undefined) await show(status);
  }
  process.stderr.write(`quotamesh: the status stream from ${url} ended\n`);
  return 1;
}

function request(url: string, token: string, watch: boolean): Promise<Response> {
  return requestNode(url, `/v1/status${watch ? '?watch=true' : ''}`, { headers: { authorization: `Bearer ${token}` } });
}

/** An admin frame lists every credential; even a thousand of them is far below this. */
const MAX_STATUS_LINE_BYTES = 8 * 1024 * 1024;

async function* ndjsonLines(response: Response): AsyncGenerator<string> {
  const splitter = new LineSplitter(MAX_STATUS_LINE_BYTES);
  for await (const chunk of response.body ?? []) {
    const lines: string[] = [];
    if (!splitter.push(chunk as Uint8Array, (line) => lines.push(line))) {
      throw new Error(`the node sent a status line longer than ${MAX_STATUS_LINE_BYTES} bytes`);
    }
    for (const line of lines) if (line.trim() !== '') yield line;
  }
}

function parseFrame(line: string): NodeStatus | undefined {
  try {
    const value = JSON.parse(line) as NodeStatus;
    if (value !== null && typeof value === 'object' && typeof value.providers === 'object') return value;
  } catch {
    // reported below
  }
  process.stderr.write('quotamesh: skipped a status frame that is not JSON\n');
  return undefined;
}

/** The summary text for the named ledger, cached briefly; undefined when no ledger is named. */
function ledgerReader(path: string | undefined, color: boolean): () => Promise<string | undefined> {
  let cached: { text: string; readAtMs: number } | undefined;
  return async () => {
    if (path === undefined) return undefined;
    const nowMs = Date.now();
    if (cached !== undefined && nowMs - cached.readAtMs < LEDGER_REFRESH_MS) return cached.text;
    let text: string;
    try {
      text = renderLedgerSummary(await readLedgerSummary(path, { nowMs, dayStartMs: localDayStartMs(nowMs) }), { color });
    } catch (error) {
      // The status itself is still worth showing when the ledger is unreadable.
      text = `usage: cannot read ${path}: ${(error as Error).message}\n`;
    }
    cached = { text, readAtMs: nowMs };
    return text;
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
