/**
 * The command line's usage text, apart from the commands and importing nothing, so that
 * `quotamesh --help` and a mistyped command load nothing else (cli.ts loads a command's module
 * only when that command runs). The admin actions are spelled out rather than read from the node's
 * ADMIN_ACTIONS, which would load the node; test/unit/commands/usage.test.ts keeps the two equal.
 */

export const ADMIN_USAGE = 'admin  <disable|enable|reset-cooldown|poll> <provider>/<tag> [--url URL] [--token T] [--reason TEXT] [--json]';

export const LOGIN_USAGE =
  'login  claude|codex [--path FILE | --credential TAG [--config FILE]] [--device] [--callback-port N] [--authorize-url URL] [--token-url URL]';

export const STATUSLINE_USAGE = "statusline [--url URL] [--token T] [--session ID]   one line for Claude Code's statusLine";

export const USAGE = `usage: quotamesh <command> [options]
  serve  [--config FILE] [--log-format pretty|json]   run a node (pretty on a terminal)
  demo   [--port N]                       simulator + nodes on loopback, for trying it out
  status [--url URL] [--token T] [--watch] [--json] [--ledger FILE]
  check  [--config FILE] [--against URL --token ADMIN]   validate a config and its credential files;
                                          with --against, what a reload of that node would change
  init   [--hub | --laptop --hub-url URL --link-token T] [--config FILE] [--name N] [--listen HOST:PORT] [--force]
                                          write a commented starting config with fresh tokens
  ${LOGIN_USAGE}
  ${ADMIN_USAGE}
  ${STATUSLINE_USAGE}
  token                                   print a new random token
  sim    [--port N] [--accounts N] [--codex-accounts N]   run the simulated upstream alone`;
