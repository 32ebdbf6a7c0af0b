/**
 * `quotamesh check`: the config, then every credential file it names. Config problems exit 2
 * (bad config); unreadable or invalid credential files exit 1; each line names its JSON path.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../lib/index.ts';
import { loadConfigFile, type Config } from '../node/index.ts';
import { parseClaudeCredentialFile } from '../upstream/index.ts';
import { resolveConfigPath } from './config-path.ts';

export function runCheck(options: { configPath: string | undefined }, print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): number {
  const path = resolveConfigPath(options.configPath);
  const config = loadConfigFile(path);
  const problems = credentialFileProblems(config);
  for (const problem of problems) print(problem);
  if (problems.length === 0) print(`${path}: ok`);
  return problems.length === 0 ? 0 : 1;
}

export function credentialFileProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const provider of ['claude', 'codex'] as const) {
    config[provider]?.credentials.forEach((credential, index) => {
      if (credential.type !== 'default') return;
      const where = `${provider}.credentials[${index}].path`;
      let text: string;
      try {
        text = readFileSync(credential.path, 'utf8');
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        problems.push(`${where}: ${missing ? `${credential.path} does not exist (the node starts anyway and picks it up when it appears)` : errorMessage(error)}`);
        return;
      }
      const problem = provider === 'claude' ? claudeProblem(text) : codexProblem(text);
      if (problem !== undefined) problems.push(`${where}: ${credential.path}: ${problem}`);
    });
  }
  return problems;
}

function claudeProblem(text: string): string | undefined {
  const parsed = parseClaudeCredentialFile(text);
  return 'error' in parsed ? parsed.error : undefined;
}

function codexProblem(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { tokens?: { access_token?: unknown } };
    return typeof parsed.tokens?.access_token === 'string' ? undefined : 'no tokens.access_token';
  } catch {
    return 'not valid JSON';
  }
}
