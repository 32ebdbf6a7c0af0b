/**
 * Config file → validated, frozen Config. Every problem names its JSON path
 * (`claude.credentials[2].strategy: …`) so `quotamesh check` can list them all at once.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as z from 'zod';
import { ConfigError, errorMessage } from '../lib/index.ts';
import { PROVIDER_NAMES } from '../providers/index.ts';
import { configSchema, type Config, type ProviderConfig } from './config-schema.ts';
import { checkReferences, type Problem } from './config-references.ts';
import { blankJsonComments } from './config-comments.ts';

export interface ConfigEnvironment {
  env: Record<string, string | undefined>;
  homeDir: string;
  /** Relative paths in the config are resolved against this directory (the config file's). */
  baseDir: string;
}

export function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read (${errorMessage(error)})`]);
  }
  return parseConfigText(text, configEnvironment(file, env));
}

/** How `loadConfigFile` reads `file`: `${ENV}` from `env`, `~` as the home directory, relative paths from the file's directory. */
export function configEnvironment(file: string, env: Record<string, string | undefined> = process.env): ConfigEnvironment {
  return { env, homeDir: homedir(), baseDir: dirname(resolve(file)) };
}

export function parseConfigText(text: string, environment: ConfigEnvironment): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(blankJsonComments(text));
  } catch (error) {
    // Only where: newer V8 quotes the text around the error, and that may be a token, which a
    // reload would then write to the log.
    const where = /position \d+/.exec(errorMessage(error))?.[0];
    throw new ConfigError([`(root): not valid JSON${where === undefined ? '' : ` (at ${where})`}`]);
  }
  return parseConfigValue(raw, environment);
}

export function parseConfigValue(raw: unknown, environment: ConfigEnvironment): Config {
  const envProblems: Problem[] = [];
  const expanded = expandEnv(raw, '', environment.env, envProblems);
  if (envProblems.length > 0) throw new ConfigError(envProblems.map(formatProblem));
  const parsed = configSchema.safeParse(expanded);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => formatProblem(fromZodIssue(issue))));
  const referenceProblems = checkReferences(parsed.data);
  if (referenceProblems.length > 0) throw new ConfigError(referenceProblems.map(formatProblem));
  return deepFreeze(resolvePaths(parsed.data, environment));
}

function expandEnv(value: unknown, path: string, env: ConfigEnvironment['env'], problems: Problem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, variable: string) => {
      const replacement = env[variable];
      if (replacement === undefined) {
        problems.push({ path: path || '(root)', message: `environment variable ${variable} is not set` });
        return '';
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => expandEnv(item, `${path}[${index}]`, env, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, expandEnv(item, path ? `${path}.${key}` : key, env, problems)]),
    );
  }
  return value;
}

function fromZodIssue(issue: z.core.$ZodIssue): Problem {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_value':
      return { path, message: `expected one of ${issue.values.map(String).join('|')}` };
    case 'unrecognized_keys':
      return { path: issue.keys.map((key) => (path === '(root)' ? key : `${path}.${key}`)).join(', '), message: 'unknown key' };
    case 'invalid_union':
      return { path, message: discriminatorMessage(issue) ?? issue.message };
    case 'invalid_type':
      // zod does not keep the input on the issue; its message says what it received.
      return { path, message: issue.message.endsWith('received undefined') ? 'required' : `expected ${issue.expected}` };
    default:
      return { path, message: issue.message };
  }
}

/** zod reports the allowed discriminator values on the issue, outside its typed surface. */
function discriminatorMessage(issue: object): string | undefined {
  const options = (issue as { options?: unknown }).options;
  return Array.isArray(options) ? `expected one of ${options.map(String).join('|')}` : undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text || '(root)';
}

function formatProblem(problem: Problem): string {
  return `${problem.path}: ${problem.message}`;
}

function resolvePaths(config: Config, environment: ConfigEnvironment): Config {
  const resolvePath = (path: string): string => {
    const home = path === '~' || path.startsWith('~/') ? environment.homeDir + path.slice(1) : path;
    return isAbsolute(home) ? home : resolve(environment.baseDir, home);
  };
  const resolveCredentials = <T extends ProviderConfig>(section: T): T => ({
    ...section,
    credentials: section.credentials.map((credential) =>
      credential.type === 'default' ? { ...credential, path: resolvePath(credential.path) } : credential,
    ),
  });
  const resolved: Config = {
    ...config,
    state_dir: resolvePath(config.state_dir),
    tls: config.tls && { cert: resolvePath(config.tls.cert), key: resolvePath(config.tls.key) },
  };
  for (const provider of PROVIDER_NAMES) {
    const section = config[provider];
    if (section !== undefined) Object.assign(resolved, { [provider]: resolveCredentials(section) });
  }
  return resolved;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
