/**
 * "A provider is one module, checked complete by the type system": for every part of a
 * ProviderModule, a module that leaves that part out must fail to type-check with a diagnostic
 * naming it. The fixtures are compiled in memory with the TypeScript compiler the project uses.
 */
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { claudeProvider, codexProvider, PROVIDERS, providerFor } from '../../../src/providers/index.ts';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '../../..');
const REQUIRED_PARTS = [
  'name',
  'label',
  'routes',
  'adapter',
  'parseRateLimitHeaders',
  'refusalScope',
  'credentialFile',
  'createDefaultCredential',
  'usageTap',
  'cacheReadWeight',
  'errorBody',
  'configFields',
];

function fixture(omitted: string | undefined): string {
  const rest = omitted === undefined ? 'const rest = claudeProvider;' : `const { ${omitted}: _omitted, ...rest } = claudeProvider;`;
  return [
    `import { claudeProvider, type AnyProviderModule } from '${join(ROOT, 'src/providers/index.ts')}';`,
    rest,
    'export const module = rest satisfies AnyProviderModule;',
    '',
  ].join('\n');
}

/** Compiles every fixture in one program; returns each fixture's diagnostics as flat text. */
function diagnosticsOf(fixtures: Map<string, string>): Map<string, string[]> {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, dirname(configPath));
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => fixtures.get(name) ?? readFile(name);
  host.fileExists = (name) => fixtures.has(name) || ts.sys.fileExists(name);
  host.getSourceFile = (name, language, onError, shouldCreate) => {
    const text = fixtures.get(name);
    return text === undefined ? getSourceFile(name, language, onError, shouldCreate) : ts.createSourceFile(name, text, language);
  };
  const program = ts.createProgram([...fixtures.keys()], config.options, host);
  const result = new Map<string, string[]>();
  for (const name of fixtures.keys()) {
    const source = program.getSourceFile(name);
    const diagnostics = source === undefined ? [] : [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    result.set(
      name,
      diagnostics.map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')),
    );
  }
  return result;
}

describe('ProviderModule', () => {
  it('a module missing any one part does not type-check, and the error names the part', () => {
    const fixtures = new Map<string, string>([[join(HERE, '__complete.ts'), fixture(undefined)]]);
    for (const part of REQUIRED_PARTS) fixtures.set(join(HERE, `__without-${part}.ts`), fixture(part));
    const diagnostics = diagnosticsOf(fixtures);
    expect(diagnostics.get(join(HERE, '__complete.ts'))).toEqual([]);
    for (const part of REQUIRED_PARTS) {
      const messages = diagnostics.get(join(HERE, `__without-${part}.ts`)) ?? [];
      expect(messages.join('\n'), `leaving out ${part}`).toContain(`Property '${part}' is missing`);
    }
  }, 120_000);

  it('every registered module has a distinct name, status path and route prefixes', () => {
    const names = PROVIDERS.map((provider) => provider.name);
    expect(new Set(names).size).toBe(names.length);
    const statusPaths = PROVIDERS.map((provider) => provider.routes.status);
    expect(new Set(statusPaths).size).toBe(statusPaths.length);
    const prefixes = PROVIDERS.flatMap((provider) => provider.routes.prefixes);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});

describe('providerFor: the error shape follows the path, never the query', () => {
  it.each([
    ['/v1/messages', 'claude'],
    ['/v1/messages/count_tokens', 'claude'],
    ['/v1/models', 'claude'],
    ['/ccm/v1/status', 'claude'],
    ['/v1/responses', 'codex'],
    ['/v1/responses/compact', 'codex'],
    ['/ocm/v1/status?watch=true', 'codex'],
    // The fuzz finding: a Claude-shaped path asking about Codex answers in Claude's shape.
    ['/v1/status?provider=codex', 'claude'],
    ['/v1/status?provider=claude', 'claude'],
    // Paths no provider owns answer in the first registered provider's shape.
    ['/', 'claude'],
    ['/healthz', 'claude'],
    ['/metrics', 'claude'],
  ])('%s → %s', (path, expected) => {
    expect(providerFor(path).name).toBe(expected);
  });

  it('each module owns its own status path', () => {
    expect(providerFor(claudeProvider.routes.status)).toBe(claudeProvider);
    expect(providerFor(codexProvider.routes.status)).toBe(codexProvider);
  });
});
