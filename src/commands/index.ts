export { runCheck, credentialFileProblems } from './check.ts';
export { runDemo, type DemoOptions } from './demo.ts';
export { runServe } from './serve.ts';
export { runStatus } from './status.ts';
export { newToken } from './token.ts';
