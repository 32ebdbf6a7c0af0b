/** A debug-level logger whose every line is kept in memory, so tests can read and scan them. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/node/index.ts';

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}
