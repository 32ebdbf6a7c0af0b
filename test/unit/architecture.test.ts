/**
 * The import rules of STYLE.md, checked: layers import only downwards, across folders only
 * through index.ts, and fastify stays in node/ (plus status-routes.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

const ALLOWED: Record<string, string[]> = {
  lib: [],
  status: ['lib'],
  tunnel: ['lib'],
  upstream: ['status', 'lib'],
  pool: ['upstream', 'status', 'lib'],
  providers: ['pool', 'upstream', 'status', 'lib'],
  sim: ['lib'],
  node: ['providers', 'tunnel', 'pool', 'status', 'upstream', 'sim', 'lib'],
  commands: ['node', 'providers', 'sim', 'status', 'lib'],
  '.': ['commands', 'node', 'sim', 'lib'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? '.' : (parts[0] ?? '.');
}

const imports = sourceFiles(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'";]*?from\s+'([^']+)'/gm)].map((match) => ({ file, target: match[1] ?? '' })),
);

describe('architecture', () => {
  it('layers import only what STYLE.md allows, through index.ts', () => {
    const violations: string[] = [];
    for (const { file, target } of imports) {
      if (!target.startsWith('.')) continue;
      const resolved = join(file, '..', target);
      const from = layerOf(file);
      const to = layerOf(resolved);
      if (from === to) continue;
      if (!ALLOWED[from]?.includes(to)) violations.push(`${relative(SRC, file)} imports ${to}/ (${target})`);
      const inner = relative(join(SRC, to), resolved);
      if (to !== '.' && inner !== 'index.ts' && !inner.startsWith('yamux/index.ts')) {
        violations.push(`${relative(SRC, file)} reaches into ${to}/${inner} instead of ${to}/index.ts`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('imports fastify only in node/ and status/status-routes.ts', () => {
    const offenders = imports
      .filter(({ target }) => target === 'fastify' || target.startsWith('fastify/') || target.startsWith('@fastify/'))
      .map(({ file }) => relative(SRC, file))
      .filter((file) => !file.startsWith('node/') && file !== 'status/status-routes.ts');
    expect(offenders).toEqual([]);
  });

  it('imports ws only in tunnel/, sim/ and node/', () => {
    const offenders = imports
      .filter(({ target }) => target === 'ws')
      .map(({ file }) => relative(SRC, file))
      .filter((file) => !/^(tunnel|sim|node)\//.test(file));
    expect(offenders).toEqual([]);
  });
});
