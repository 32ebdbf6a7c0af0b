#!/usr/bin/env node
// The package ships TypeScript sources; tsx loads them so no build step is needed.
import { createRequire } from 'node:module';

if (process.argv[2] === 'statusline') {
  // Claude Code runs this on every update, so it loads the status line alone (not the node) and
  // through tsx's in-thread CommonJS hook: the ESM hook starts a loader thread, which costs more
  // than everything the status line does.
  const require = createRequire(import.meta.url);
  require('tsx/cjs/api').register();
  const { statuslineMain } = require('../src/commands/statusline-main.ts');
  process.exitCode = await statuslineMain(process.argv.slice(3));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
