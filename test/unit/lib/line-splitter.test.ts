import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/lib/index.ts';

function splitAll(splitter: LineSplitter, chunks: Buffer[]): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  for (const chunk of chunks) ok = splitter.push(chunk, (line) => lines.push(line)) && ok;
  return { lines, ok };
}

function cutAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('LineSplitter', () => {
  it('gives the same lines however the bytes are cut, multi-byte characters included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }).filter((line) => !line.includes('\n') && !line.includes('\r'))),
        fc.array(fc.nat()),
        (lines, cuts) => {
          const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8');
          const result = splitAll(new LineSplitter(1024), cutAt(bytes, cuts));
          expect(result.ok).toBe(true);
          expect(result.lines).toEqual(lines);
        },
      ),
    );
  });

  it('trims a CRLF ending and keeps a final line without newline for flush', () => {
    const splitter = new LineSplitter(100);
    const { lines } = splitAll(splitter, [Buffer.from('a\r\nb\nc')]);
    expect(lines).toEqual(['a', 'b']);
    expect(splitter.flush()).toBe('c');
  });

  it('refuses a line one byte over the bound, and accepts one exactly at it', () => {
    expect(splitAll(new LineSplitter(8), [Buffer.from('12345678\n')]).ok).toBe(true);
    const over = new LineSplitter(8);
    expect(splitAll(over, [Buffer.from('1234'), Buffer.from('56789')]).ok).toBe(false);
    expect(over.isOverLimit).toBe(true);
    // Once refused, later input is ignored: no line is ever handed out again.
    expect(splitAll(over, [Buffer.from('\nok\n')])).toEqual({ lines: [], ok: false });
  });

  it('holds at most the bound while an endless line arrives', () => {
    const splitter = new LineSplitter(64 * 1024);
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let chunksTaken = 0;
    while (splitter.push(chunk, () => {})) chunksTaken += 1;
    expect(chunksTaken).toBe(4);
  });
});
