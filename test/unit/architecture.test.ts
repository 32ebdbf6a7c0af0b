/**
 * The import rules of ARCHITECTURE.md, checked: layers import only downwards, across folders only
 * through index.ts, no import cycle (type-only imports count: they tie the files together for a
 * reader just the same), the generic layers never name a provider, one provider's folder never
 * imports another's, and fastify stays in node/ (plus status-routes.ts).
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

/** Every `import … from` / `export … from`, type-only included. */
const imports = sourceFiles(SRC).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'";]*?from\s+'([^']+)'/gm)].map((match) => ({
    file,
    target: match[1] ?? '',
  })),
);

describe('architecture', () => {
  it('layers import only what ARCHITECTURE.md allows, through index.ts', () => {
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

  it('has no import cycle between files, not even through type-only imports', () => {
    expect(findCycles(imports)).toEqual([]);
  });

  it('finds a cycle when there is one (the checker itself can fail)', () => {
    const edges = [
      { file: join(SRC, 'a.ts'), target: './b.ts' },
      { file: join(SRC, 'b.ts'), target: './c.ts' },
      { file: join(SRC, 'c.ts'), target: './a.ts' },
      { file: join(SRC, 'c.ts'), target: './d.ts' },
    ];
    expect(findCycles(edges)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('keeps the generic layers free of providers: only node/ (and commands/) import providers/', () => {
    const offenders = imports
      .filter(({ file, target }) => target.startsWith('.') && layerOf(join(file, '..', target)) === 'providers')
      .map(({ file }) => relative(SRC, file))
      .filter((file) => !/^(node|commands|providers)\//.test(file));
    expect(offenders).toEqual([]);
  });

  it.each([
    ['providers', ['claude', 'codex']],
    ['sim', ['claude', 'codex']],
  ])('keeps each provider folder of %s/ to itself', (layer, providers) => {
    const folderOf = (path: string): string | undefined => {
      const parts = relative(join(SRC, layer), path).split('/');
      return parts.length > 1 && providers.includes(parts[0] ?? '') ? parts[0] : undefined;
    };
    const offenders = imports
      .filter(({ file, target }) => {
        const from = folderOf(file);
        const to = folderOf(join(file, '..', target));
        return target.startsWith('.') && to !== undefined && from !== undefined && from !== to;
      })
      .map(({ file, target }) => `${relative(SRC, file)} imports ${target}`);
    expect(offenders).toEqual([]);
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

/** Strongly connected components of more than one file (Tarjan), as sorted paths under src/. */
function findCycles(edges: Array<{ file: string; target: string }>): string[][] {
  const graph = new Map<string, string[]>();
  for (const { file, target } of edges) {
    if (!target.startsWith('.')) continue;
    const targets = graph.get(file) ?? [];
    targets.push(join(file, '..', target));
    graph.set(file, targets);
  }
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node) ?? 0);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, lowLink.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(relative(SRC, member));
    } while (member !== node);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
