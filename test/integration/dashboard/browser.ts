/**
 * Headless Chromium for the dashboard tests, driven by playwright-core (which ships no browser).
 * The browser comes with `npm install`: @sparticuz/chromium (a devDependency) carries a
 * brotli-packed headless Chromium for Linux x64, the shared libraries it needs beyond glibc (NSS,
 * NSPR, expat: its Amazon Linux bundle, which any glibc ≥ 2.34 loads) and a font. So a fresh
 * machine needs no system package; checked with `ldd`: with LD_LIBRARY_PATH set as below, every
 * library but libc, libm, libdl, libpthread and libgcc_s resolves into the unpacked folder.
 *
 * We unpack it ourselves, once per package version, into a folder of our own that appears
 * whole (rename): the package's executablePath() unpacks to a fixed /tmp/chromium, which test
 * files running in parallel would race on, half-written. Elsewhere than Linux x64 the package has
 * no binary: set QUOTAMESH_TEST_CHROMIUM to a Chrome or Chromium of your own. A missing browser is
 * a failure with that hint, never a skip. Each launch gets a fresh profile, so no token or cache
 * leaks between tests.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

interface Executable {
  path: string;
  env: Record<string, string | undefined>;
}

export async function launchBrowser(viewport: { width: number; height: number }): Promise<Browser> {
  const executable = await findExecutable();
  const userDataDir = await mkdtemp(join(tmpdir(), 'qm-chromium-'));
  // launchPersistentContext is how playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: executable.path,
    env: executable.env,
    headless: true,
    args: ARGS,
    viewport,
    deviceScaleFactor: 1,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The browser's page at `url`, with every page error and console error pushed to `errors`: a CSP
 * violation or script error would leave a blank page that still "loads".
 */
export async function openDashboard(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  return page;
}

async function findExecutable(): Promise<Executable> {
  const own = process.env.QUOTAMESH_TEST_CHROMIUM;
  if (own) return { path: own, env: process.env };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `@sparticuz/chromium has no browser for ${process.platform}-${process.arch}: set QUOTAMESH_TEST_CHROMIUM to a Chrome or Chromium executable`,
    );
  }
  const folder = await unpackedChromium();
  return {
    path: join(folder, 'chromium'),
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [join(folder, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: folder,
    },
  };
}

/** The package's browser, unpacked once per version; resolves to the folder holding `chromium`. */
async function unpackedChromium(): Promise<string> {
  // The package's exports name only its entry point (build/cjs/index.cjs); its root is three up.
  const packageRoot = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const folder = join(tmpdir(), `quotamesh-chromium-${version}-${process.getuid?.() ?? 0}`);
  if (existsSync(join(folder, 'chromium'))) return folder;
  const staging = await mkdtemp(`${folder}.unpacking-`);
  try {
    const packed = join(packageRoot, 'bin');
    await pipeline(
      createReadStream(join(packed, 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(join(staging, 'chromium'), { mode: 0o755 }),
    );
    untar(join(packed, 'al2023.tar.br'), staging); // lib/: NSS, NSPR, expat
    untar(join(packed, 'fonts.tar.br'), staging); // fonts/: Open Sans
    // The package's fonts.conf names /tmp/fonts; this one names where the fonts are.
    await writeFile(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(folder, 'fonts')}</dir>\n  <cachedir>${join(folder, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    await rename(staging, folder);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another test file unpacked the same version first: use theirs.
    if (existsSync(join(folder, 'chromium'))) return folder;
    throw error;
  }
  return folder;
}

function untar(file: string, into: string): void {
  const result = spawnSync('tar', ['-x', '-C', into], { input: brotliDecompressSync(readFileSync(file)) });
  if (result.status !== 0) throw new Error(`tar -x ${file}: ${result.stderr?.toString() ?? result.error?.message}`);
}
