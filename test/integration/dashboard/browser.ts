/**
 * Debian's Chromium driven by playwright-core (which ships no browser of its own), in a fresh
 * profile per launch so no token or cache leaks between tests. A missing browser is a failure
 * with the install hint, never a skip: `.ci/run` installs it, and a skipped test proves nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

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

export async function launchBrowser(viewport: { width: number; height: number }): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium); .ci/run does this`,
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'qm-chromium-'));
  // launchPersistentContext is how playwright takes a --user-data-dir of our choosing.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
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
