#!/usr/bin/env node
// The published package ships dist/ (bundled by `npm run build`) and runs it with plain node. A
// checkout has src/ beside bin/ and runs the TypeScript through tsx (a devDependency), so an edit
// takes effect at once and a dist/ left over from an earlier build is never run by mistake.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const isCheckout = existsSync(new URL('../src/cli.ts', import.meta.url));

if (!isCheckout) {
  // Claude Code runs the status line on every update, so it loads alone, without the node.
  if (process.argv[2] === 'statusline') {
    const { statuslineMain } = await import('../dist/statusline.js');
    process.exitCode = await statuslineMain(process.argv.slice(3));
  } else {
    await import('../dist/cli.js');
  }
} else if (process.argv[2] === 'statusline') {
  // tsx's in-thread CommonJS hook: the ESM hook starts a loader thread, which costs more than
  // everything the status line does.
  const require = createRequire(import.meta.url);
  require('tsx/cjs/api').register();
  const { statuslineMain } = require('../src/commands/statusline-main.ts');
  process.exitCode = await statuslineMain(process.argv.slice(3));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
