/**
 * Splits a byte stream into newline-terminated lines, with a bound on one line. Each byte is
 * scanned once (only the new chunk is searched for a newline, never what is already held), so a
 * peer sending one line that never ends costs linear time and at most `maxLineBytes` of memory;
 * re-searching a growing string on every chunk was quadratic and unbounded (issue 11: a status
 * watch answered with an endless line grew a hub by 650 MiB in 25 s).
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  #parts: Buffer[] = [];
  #heldBytes = 0;
  #isOverLimit = false;

  constructor(maxLineBytes: number) {
    this.maxLineBytes = maxLineBytes;
  }

  /** True once a line went past the bound; the splitter then ignores further input. */
  get isOverLimit(): boolean {
    return this.#isOverLimit;
  }

  /**
   * Hands each complete line (without its `\n`, `\r\n` trimmed to its text) to `onLine`.
   * Returns false when a line is longer than the bound: stop reading, the stream is refused.
   */
  push(chunk: Uint8Array, onLine: (line: string) => void): boolean {
    if (this.#isOverLimit) return false;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) break;
      if (this.#heldBytes + newline - start > this.maxLineBytes) return this.#overLimit();
      onLine(this.#take(bytes.subarray(start, newline)));
      start = newline + 1;
    }
    const rest = bytes.length - start;
    if (this.#heldBytes + rest > this.maxLineBytes) return this.#overLimit();
    if (rest > 0) {
      // A copy: the caller's chunk may be a view into a larger pooled buffer.
      this.#parts.push(Buffer.from(bytes.subarray(start)));
      this.#heldBytes += rest;
    }
    return true;
  }

  /** What is left after the last newline (a final line without one), and the splitter is empty. */
  flush(): string {
    return this.#take(Buffer.alloc(0));
  }

  #take(tail: Buffer): string {
    const line = this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail]);
    this.#parts = [];
    this.#heldBytes = 0;
    return line.toString('utf8').replace(/\r$/, '');
  }

  #overLimit(): false {
    this.#isOverLimit = true;
    this.#parts = [];
    this.#heldBytes = 0;
    return false;
  }
}
