/**
 * `quotamesh check`: the config, then every credential file it names. Config problems exit 2
 * (bad config); unreadable or invalid credential files exit 1; each line names its JSON path.
 * With `--against URL`, also what a reload of the node at URL would change (check-against.ts).
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../lib/index.ts';
import { loadConfigFile, type Config } from '../node/index.ts';
import { PROVIDERS } from '../providers/index.ts';
import { checkAgainst } from './check-against.ts';
import { resolveConfigPath } from './config-path.ts';

export interface CheckOptions {
  configPath: string | undefined;
  /** A running node's URL: show what reloading this config there would change. */
  against?: string | undefined;
  /** Its admin token (else $QUOTAMESH_TOKEN). */
  token?: string | undefined;
}

export async function runCheck(
  options: CheckOptions,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const path = resolveConfigPath(options.configPath);
  const config = loadConfigFile(path);
  const problems = credentialFileProblems(config);
  for (const problem of problems) print(problem);
  if (problems.length === 0) print(`${path}: ok`);
  if (options.against !== undefined) {
    await checkAgainst(
      { url: options.against, token: options.token ?? (env.QUOTAMESH_TOKEN || undefined), config, configPath: path },
      print,
    );
  }
  return problems.length === 0 ? 0 : 1;
}

export function credentialFileProblems(config: Config): string[] {
  const problems: string[] = [];
  for (const provider of PROVIDERS) {
    config[provider.name]?.credentials.forEach((credential, index) => {
      if (credential.type !== 'default') return;
      const where = `${provider.name}.credentials[${index}].path`;
      let text: string;
      try {
        text = readFileSync(credential.path, 'utf8');
      } catch (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        problems.push(
          `${where}: ${missing ? `${credential.path} does not exist (the node starts anyway and picks it up when it appears)` : errorMessage(error)}`,
        );
        return;
      }
      // The node's own reading of the file, so `check` and `serve` never disagree.
      const parsed = provider.credentialFile.parse(text);
      if (parsed !== null && typeof parsed === 'object' && 'error' in parsed)
        problems.push(`${where}: ${credential.path}: ${parsed.error}`);
    });
  }
  return problems;
}
