/**
 * `state_dir/usage.jsonl`: one line per completed request (CONFIG.md › State directory). Each line
 * is written with one synchronous append on an O_APPEND descriptor, so a crash loses at most the
 * line being written and lines never interleave. A full disk costs the ledger, never the request:
 * the error is logged once and writing resumes when it works again.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../lib/index.ts';

export interface LedgerRecord {
  time: string;
  user: string | null;
  peer: string | null;
  provider: string;
  credential: string | null;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Of cache_creation_input_tokens, those written to Claude's 1-hour cache; only when there are some. */
  cache_creation_1h_input_tokens?: number;
  status: number;
  duration_ms: number;
  /** Points of the route's 5-hour and weekly aggregate attributed to this request (issue 15). */
  points_5h: number;
  points_weekly: number;
}

export class Ledger {
  readonly path: string;
  readonly #logger: Logger;
  #fd: number | undefined;
  #failing = false;

  constructor(stateDir: string, logger: Logger) {
    this.path = join(stateDir, 'usage.jsonl');
    this.#logger = logger;
  }

  append(record: LedgerRecord): void {
    try {
      this.#fd ??= this.#open();
      writeSync(this.#fd, `${JSON.stringify(record)}\n`);
      if (this.#failing) this.#logger.info({ path: this.path }, 'usage ledger writable again');
      this.#failing = false;
    } catch (error) {
      if (!this.#failing)
        this.#logger.error({ path: this.path, err: errorMessage(error) }, 'cannot write the usage ledger; requests are still served');
      this.#failing = true;
    }
  }

  #open(): number {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    return openSync(this.path, 'a', 0o600);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
