/** The dashboard's "add account" in headless Chromium: the admin's whole paste-the-code flow. */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { launchBrowser, type Browser } from '../dashboard/browser.ts';
import { approve, codePageText } from './login-helpers.ts';

describe('dashboard: add an account', () => {
  let harness: Harness | undefined;
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    await harness?.close();
    browser = undefined;
    harness = undefined;
  });

  it('gets the link, takes the pasted code and reports the file written', async () => {
    harness = await startHarness({ withoutFiles: ['a'] });
    browser = await launchBrowser({ width: 1100, height: 900 });
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(harness.node.url);
    await page.locator('#token').fill(harness.adminToken);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#add-account summary').click();
    await page.locator('#add-provider').selectOption('claude');
    await page.locator('#add-credential').fill('a');
    await page.locator('#add-account-start button[type="submit"]').click();
    await page.locator('#add-account-finish').waitFor({ state: 'visible' });
    const link = new URL((await page.locator('#add-link').getAttribute('href')) ?? '');
    expect(link.origin + link.pathname).toBe('https://claude.ai/oauth/authorize');
    expect(await page.locator('#add-paste-hint').textContent()).toContain('code#state');

    // The admin logs in on the vendor's page (played by the simulator) and copies the code.
    const location = await approve(`${harness.sim.authorizeUrl}${link.search}`);
    await page.locator('#add-code').fill(codePageText(location));
    await page.locator('#add-account-finish button[type="submit"]').click();
    await page.locator('#add-result:has-text("Logged in")').waitFor();
    expect(await page.locator('#add-result').textContent()).toBe(`Logged in as a@example.com; wrote ${harness.credentialPath('a')}`);
    expect(await page.locator('#add-result').getAttribute('data-error')).toBe('false');
    expect(pageErrors).toEqual([]);
  });
});
