/**
 * `npm run build`: src/ → dist/, the JavaScript the published package runs with plain node (no tsx
 * at run time). tsc rewrites the sources' `.ts` import specifiers to `.js`
 * (`rewriteRelativeImportExtensions`, tsconfig.build.json); files tsc does not emit (the
 * dashboard's page.html/css/js) are copied beside the code that reads them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(root, 'src');
const output = join(root, 'dist');

// A file deleted from src/ must not live on in dist/.
rmSync(output, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(output, relative(source, from)));
}
