/**
 * `quotamesh <command>` (README.md › Commands). Errors are one readable line on stderr (the stack only with
 * --debug); exit 0 ok, 1 runtime failure, 2 bad usage or bad config.
 */
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from './lib/index.ts';
import {
  LOGIN_USAGE,
  loginMain,
  newToken,
  runCheck,
  runDemo,
  runInit,
  runServe,
  runStatus,
  STATUSLINE_USAGE,
  statuslineMain,
  UsageError,
} from './commands/index.ts';

const USAGE = `usage: quotamesh <command> [options]
  serve  [--config FILE] [--log-format pretty|json]   run a node (pretty on a terminal)
  demo   [--port N]                       simulator + nodes on loopback, for trying it out
  status [--url URL] [--token T] [--watch] [--json] [--ledger FILE]
  check  [--config FILE] [--against URL --token ADMIN]   validate a config and its credential files;
                                          with --against, what a reload of that node would change
  init   [--hub | --laptop --hub-url URL --link-token T] [--config FILE] [--name N] [--listen HOST:PORT] [--force]
                                          write a commented starting config with fresh tokens
  ${LOGIN_USAGE}
  ${STATUSLINE_USAGE}
  token                                   print a new random token
  sim    [--port N] [--accounts N] [--codex-accounts N]   run the simulated upstream alone`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'statusline') return statuslineMain(rest);
  if (command === 'login') return loginMain(rest);
  const parsed = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      'log-format': { type: 'string' },
      port: { type: 'string' },
      accounts: { type: 'string' },
      'codex-accounts': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      watch: { type: 'boolean' },
      json: { type: 'boolean' },
      ledger: { type: 'string' },
      debug: { type: 'boolean' },
      against: { type: 'string' },
      hub: { type: 'boolean' },
      laptop: { type: 'boolean' },
      'hub-url': { type: 'string' },
      'link-token': { type: 'string' },
      name: { type: 'string' },
      listen: { type: 'string' },
      force: { type: 'boolean' },
    },
  });
  const values = parsed.values;
  switch (command) {
    case 'serve':
      return runServe({ configPath: values.config, logFormat: values['log-format'] });
    case 'demo':
      return runDemo({ port: integer(values.port, 'port') });
    case 'status':
      return runStatus({
        url: values.url,
        token: values.token,
        watch: values.watch ?? false,
        json: values.json ?? false,
        ledger: values.ledger,
      });
    case 'check':
      return runCheck({ configPath: values.config, against: values.against, token: values.token });
    case 'init':
      return runInit({
        configPath: values.config,
        hub: values.hub ?? false,
        laptop: values.laptop ?? false,
        hubUrl: values['hub-url'],
        linkToken: values['link-token'],
        name: values.name,
        listen: values.listen,
        force: values.force ?? false,
      });
    case 'token':
      process.stdout.write(`${newToken()}\n`);
      return 0;
    case 'sim': {
      // Loaded for this command only: `serve` never carries the simulator.
      const { runSimCommand } = await import('./sim/index.ts');
      await runSimCommand({
        port: integer(values.port, 'port'),
        accounts: integer(values.accounts, 'accounts'),
        codexAccounts: integer(values['codex-accounts'], 'codex-accounts'),
      });
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return number;
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.problems.map((problem) => `config: ${problem}`).join('\n')}\n`);
      process.exitCode = 2;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`quotamesh: ${errorMessage(error)}\n${USAGE}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`quotamesh: ${debug && error instanceof Error ? error.stack : errorMessage(error)}\n`);
      process.exitCode = 1;
    }
  },
);
