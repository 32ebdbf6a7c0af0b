/**
 * The commands, as cli.ts reaches them. Only what every invocation needs is imported here (the
 * usage text and UsageError); each command's module is loaded when that command runs, so `serve`
 * never loads the simulator or the login flows, and `--help` loads no command at all (docs/
 * ARCHITECTURE.md › Start-up). Tests import a command's own module.
 */
export { USAGE } from './usage.ts';
export { UsageError } from './usage-error.ts';

export const loadCommand = {
  serve: () => import('./serve.ts'),
  demo: () => import('./demo.ts'),
  status: () => import('./status.ts'),
  check: () => import('./check.ts'),
  init: () => import('./init.ts'),
  login: () => import('./login.ts'),
  admin: () => import('./admin.ts'),
  statusline: () => import('./statusline-main.ts'),
  token: () => import('./token.ts'),
};
