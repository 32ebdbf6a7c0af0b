/**
 * `quotamesh <command>` (README.md › Commands). Errors are one readable line on stderr (the stack only with
 * --debug); exit 0 ok, 1 runtime failure, 2 bad usage or bad config.
 */
import { parseArgs } from 'node:util';
import { ConfigError, errorMessage } from './lib/index.ts';
import { loadCommand, USAGE, UsageError } from './commands/index.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'statusline') return (await loadCommand.statusline()).statuslineMain(rest);
  if (command === 'login') return (await loadCommand.login()).loginMain(rest);
  const parsed = parseArgs({
    args: rest,
    strict: true,
    // Only `admin` takes positionals (its action and credential); the rest refuse them below.
    allowPositionals: true,
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
      reason: { type: 'string' },
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
  if (command !== 'admin' && parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  switch (command) {
    case 'serve':
      return (await loadCommand.serve()).runServe({ configPath: values.config, logFormat: values['log-format'] });
    case 'demo':
      return (await loadCommand.demo()).runDemo({ port: integer(values.port, 'port') });
    case 'status':
      return (await loadCommand.status()).runStatus({
        url: values.url,
        token: values.token,
        watch: values.watch ?? false,
        json: values.json ?? false,
        ledger: values.ledger,
      });
    case 'check':
      return (await loadCommand.check()).runCheck({ configPath: values.config, against: values.against, token: values.token });
    case 'init':
      return (await loadCommand.init()).runInit({
        configPath: values.config,
        hub: values.hub ?? false,
        laptop: values.laptop ?? false,
        hubUrl: values['hub-url'],
        linkToken: values['link-token'],
        name: values.name,
        listen: values.listen,
        force: values.force ?? false,
      });
    case 'admin':
      return (await loadCommand.admin()).runAdmin({
        positionals: parsed.positionals,
        url: values.url,
        token: values.token,
        reason: values.reason,
        json: values.json ?? false,
      });
    case 'token':
      process.stdout.write(`${(await loadCommand.token()).newToken()}\n`);
      return 0;
    case 'sim': {
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
