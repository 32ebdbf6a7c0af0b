/**
 * `npm run bench [-- NAME...]`: runs bench/NAME.ts (all suites when no name is given). Each suite
 * exports `run(): Promise<void>` and prints its own table, with ratios against a baseline measured
 * in the same run: absolute numbers on a shared machine mean little.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  // soak.ts runs for half an hour on its own (`npm run soak`), not as a bench suite.
  .filter((file) => file.endsWith('.ts') && file !== 'index.ts' && file !== 'soak.ts' && !file.startsWith('_'))
  .map((file) => file.slice(0, -3))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : available) {
  console.log(`\n## bench: ${name}`);
  const suite = (await import(join(here, `${name}.ts`))) as { run: () => Promise<void> };
  await suite.run();
}
process.exit(0);
