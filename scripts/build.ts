/**
 * `npm run build`: src/ → dist/, the JavaScript the published package and the Docker image run with
 * plain node (no tsx, and no node_modules, at run time).
 *
 * Why a bundle and not tsc's file-for-file output (docs/ARCHITECTURE.md › Start-up): a node started
 * from tsc's output spent most of its first 850 ms resolving, reading and linking some 400 module
 * files of ours and of its dependencies, and idled at about 100 MB. esbuild bundles them into a few
 * files:
 * - one per entry point: `dist/cli.js` (every command) and `dist/statusline.js` (what Claude Code
 *   runs on every update, loaded alone by bin/quotamesh.js);
 * - and chunks that each command loads when it runs (src/cli.ts imports its commands lazily), so
 *   `serve` never loads the simulator, the login flows or pino-pretty.
 *
 * Types are checked first (esbuild strips them without looking), so a build never ships code that
 * does not type-check. The dependencies are inside the bundle; the notices their licenses ask for
 * are written to dist/THIRD-PARTY-NOTICES.md.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const output = join(root, 'dist');

// A file deleted from src/ must not live on in dist/.
rmSync(output, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const checked = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (checked.status !== 0) process.exit(checked.status ?? 1);

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts', statusline: 'src/commands/statusline-main.ts' },
  outdir: output,
  // Chunks sit beside the entry points: the dashboard finds its page files relative to the module
  // that reads them (src/node/dashboard.ts), and in dist/ every module is a file in dist/ itself.
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and syntax only: a user's stack trace keeps our function names.
  minifyWhitespace: true,
  minifySyntax: true,
  // `node --enable-source-maps` turns a stack trace back into src/ file and line names.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  // ws's optional native helpers, loaded by ws only when installed.
  external: ['bufferutil', 'utf-8-validate'],
  // The dependencies bundled from CommonJS call require() for node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The dashboard's page files, read at run time beside the bundled code (see chunkNames).
cpSync(join(root, 'src/node/dashboard'), join(output, 'dashboard'), { recursive: true });
writeFileSync(join(output, 'THIRD-PARTY-NOTICES.md'), thirdPartyNotices(result.metafile));

/** Each bundled package's name, version and license text, as their MIT/ISC/BSD licenses ask. */
function thirdPartyNotices(metafile: Metafile): string {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(input.slice(0, match.index + match[0].length - 1));
  }
  const sections = [...packages].sort().map((directory) => {
    const manifest = JSON.parse(readFileSync(join(root, directory, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: string;
    };
    const licenseFile = readdirSync(join(root, directory)).find((name) => /^(licen[cs]e|copying)/i.test(name));
    const text =
      licenseFile === undefined
        ? `License: ${manifest.license ?? 'see the package'}`
        : readFileSync(join(root, directory, licenseFile), 'utf8').trim();
    return `## ${manifest.name} ${manifest.version}\n\n${text}\n`;
  });
  return `# Third-party notices\n\ndist/ bundles these packages (scripts/build.ts).\n\n${sections.join('\n')}`;
}
