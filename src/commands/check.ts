/**
 * `quotamesh check`: the config, then every credential file it names. Config problems exit 2
 * (bad config); unreadable or invalid credential files exit 1; each line names its JSON path.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../lib/index.ts';
import { loadConfigFile, type Config } from '../node/index.ts';
import { PROVIDERS } from '../providers/index.ts';
import { resolveConfigPath } from './config-path.ts';

export function runCheck(
  options: { configPath: string | undefined },
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): number {
  const path = resolveConfigPath(options.configPath);
  const config = loadConfigFile(path);
  const problems = credentialFileProblems(config);
  for (const problem of problems) print(problem);
  if (problems.length === 0) print(`${path}: ok`);
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
