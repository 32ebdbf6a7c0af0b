/**
 * Argument parsing for `quotamesh statusline`, kept apart from cli.ts so that bin/quotamesh.js
 * can load only this and its few imports: Claude Code runs the command on every update, and the
 * node's modules (fastify, pino, zod...) would cost more to load than the line takes to print.
 */
import { parseArgs } from 'node:util';
import { runStatusline } from './statusline.ts';
import { STATUSLINE_USAGE } from './usage.ts';

export async function statuslineMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { url: { type: 'string' }, token: { type: 'string' }, session: { type: 'string' }, refresh: { type: 'boolean' } },
    }));
  } catch (error) {
    process.stderr.write(`quotamesh: ${(error as Error).message}\nusage: quotamesh ${STATUSLINE_USAGE}\n`);
    return 2;
  }
  return runStatusline({ url: values.url, token: values.token, session: values.session, refresh: values.refresh ?? false });
}
