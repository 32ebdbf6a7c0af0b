export { runCheck, credentialFileProblems } from './check.ts';
export { runDemo, type DemoOptions } from './demo.ts';
export { runInit, type InitOptions } from './init.ts';
export { runServe } from './serve.ts';
export { runStatus } from './status.ts';
export { runStatusline, type StatuslineOptions } from './statusline.ts';
export { statuslineMain, STATUSLINE_USAGE } from './statusline-main.ts';
export { newToken } from './token.ts';
export { UsageError } from './usage-error.ts';
