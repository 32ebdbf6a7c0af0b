/**
 * `quotamesh init`: writes a commented starting config with fresh tokens (init-config.ts). It asks
 * only what it cannot know: hub or laptop, and for a laptop the hub's URL and link token; flags
 * answer the same questions without a terminal. Which logins this machine has it looks up itself.
 * An existing file is never replaced without --force.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { CLAUDE_CREDENTIAL_PATH, CODEX_CREDENTIAL_PATH, renderInitConfig, type InitPlan } from './init-config.ts';
import { newToken } from './token.ts';
import { UsageError } from './usage-error.ts';

export interface InitOptions {
  configPath: string | undefined;
  hub: boolean;
  laptop: boolean;
  hubUrl: string | undefined;
  linkToken: string | undefined;
  name: string | undefined;
  listen: string | undefined;
  force: boolean;
}

export interface InitTerminal {
  /** True when a person can answer questions (stdin and stderr are a terminal). */
  isInteractive: boolean;
  ask(question: string): Promise<string>;
  print(line: string): void;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export async function runInit(options: InitOptions, terminal: InitTerminal = processTerminal()): Promise<number> {
  const path = options.configPath ?? process.env.QUOTAMESH_CONFIG ?? 'quotamesh.json';
  // Before any question: a refusal after the answers would waste them.
  if (existsSync(path) && !options.force) throw new Error(`${path} already exists; pass --force to replace it`);
  const role = await chooseRole(options, terminal);
  const name = options.name ?? role;
  if (!NAME.test(name)) throw new UsageError(`--name must be 1–64 of A-Z a-z 0-9 _ . -, got "${name}"`);
  const logins = localLogins();
  let plan: InitPlan;
  if (role === 'hub') {
    plan = {
      role,
      name,
      listen: options.listen ?? '0.0.0.0:8787',
      adminToken: newToken(),
      userToken: newToken(),
      linkToken: newToken(),
      ...logins,
    };
  } else {
    plan = {
      role,
      name,
      listen: options.listen ?? '127.0.0.1:8787',
      adminToken: newToken(),
      userToken: newToken(),
      hubUrl: checkHubUrl(
        options.hubUrl ?? (await askRequired(terminal, "The hub's URL (e.g. https://hub.example.com:8787): ", '--hub-url')),
      ),
      linkToken: checkLinkToken(
        options.linkToken ?? (await askRequired(terminal, "The hub's link token for this laptop: ", '--link-token')),
      ),
      claudePath: logins.claudePath ?? CLAUDE_CREDENTIAL_PATH,
      ...(logins.codexPath === undefined ? {} : { codexPath: logins.codexPath }),
    };
  }
  writeConfig(path, renderInitConfig(plan), options.force);
  for (const line of nextSteps(path, plan, logins.claudePath !== undefined)) terminal.print(line);
  return 0;
}

async function chooseRole(options: InitOptions, terminal: InitTerminal): Promise<'hub' | 'laptop'> {
  if (options.hub && options.laptop) throw new UsageError('init takes --hub or --laptop, not both');
  if (options.hub) return 'hub';
  if (options.laptop || options.hubUrl !== undefined || options.linkToken !== undefined) return 'laptop';
  if (!terminal.isInteractive) throw new UsageError('init needs --hub, or --laptop --hub-url URL --link-token TOKEN');
  for (;;) {
    const answer = (await terminal.ask('Is this machine the hub (h), or a laptop that links to a hub (l)? ')).trim().toLowerCase();
    if (answer === 'h' || answer === 'hub') return 'hub';
    if (answer === 'l' || answer === 'laptop') return 'laptop';
  }
}

async function askRequired(terminal: InitTerminal, question: string, flag: string): Promise<string> {
  if (!terminal.isInteractive) throw new UsageError(`init --laptop needs ${flag}`);
  for (;;) {
    const answer = (await terminal.ask(question)).trim();
    if (answer !== '') return answer;
  }
}

function checkHubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`the hub URL must be an http:// or https:// URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the hub URL must be http:// or https://, got "${text}"`);
  return text.replace(/\/+$/, '');
}

function checkLinkToken(token: string): string {
  // The config's own rule for a token (config-schema.ts), so the file written passes `check`.
  if (token.length < 16) throw new UsageError('the link token is at least 16 characters (copy it from the hub)');
  return token;
}

/** Which of the vendors' credential files this machine has, as paths the config writes with `~`. */
function localLogins(): { claudePath?: string; codexPath?: string } {
  const home = homedir();
  return {
    ...(existsSync(join(home, '.claude/.credentials.json')) ? { claudePath: CLAUDE_CREDENTIAL_PATH } : {}),
    ...(existsSync(join(home, '.codex/auth.json')) ? { codexPath: CODEX_CREDENTIAL_PATH } : {}),
  };
}

function writeConfig(path: string, text: string, force: boolean): void {
  if (!force) {
    // 'wx' fails if the file appeared since the check above: never a silent overwrite.
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return;
  }
  // Replaced whole or not at all, so a failed write never leaves half a config.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

function nextSteps(path: string, plan: InitPlan, hasClaudeLogin: boolean): string[] {
  const lines = [
    `Wrote ${path} (a ${plan.role}). Check it, then run it:`,
    `  quotamesh check --config ${path}`,
    `  quotamesh serve --config ${path}`,
  ];
  if (plan.role === 'hub') {
    const port = plan.listen.slice(plan.listen.lastIndexOf(':') + 1);
    lines.push(
      'On the laptop that shares its subscription:',
      `  quotamesh init --laptop --hub-url http://<this machine>:${port} --link-token ${plan.linkToken}`,
      'Point Claude Code at the hub:',
      `  export ANTHROPIC_BASE_URL=http://<this machine>:${port}`,
      `  export ANTHROPIC_AUTH_TOKEN=${plan.userToken}`,
    );
  } else if (!hasClaudeLogin) {
    lines.push(
      `No Claude login on this machine yet: run \`claude\` and log in; the node picks up ${CLAUDE_CREDENTIAL_PATH} when it appears.`,
    );
  }
  return lines;
}

function processTerminal(): InitTerminal {
  return {
    isInteractive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    ask: async (question) => {
      const readline = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await readline.question(question);
      } finally {
        readline.close();
      }
    },
    print: (line) => process.stdout.write(`${line}\n`),
  };
}
