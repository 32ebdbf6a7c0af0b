import { existsSync } from 'node:fs';
import { ConfigError } from '../lib/index.ts';

/** CONFIG.md › Finding the file: --config, else $QUOTAMESH_CONFIG, else ./quotamesh.json. */
export function resolveConfigPath(flag: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const path = flag ?? env.QUOTAMESH_CONFIG ?? 'quotamesh.json';
  if (!existsSync(path)) {
    throw new ConfigError([`no config at ${path}: pass --config FILE or set QUOTAMESH_CONFIG (config.example.json shows every field)`]);
  }
  return path;
}
