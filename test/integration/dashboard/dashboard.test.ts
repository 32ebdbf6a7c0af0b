import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claudeRows, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { launchBrowser, openDashboard, type Browser } from './browser.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts');
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] };
const POOL_5H = '[data-provider="claude"] > .meter[data-window="five_hour"]';
const BIG_5H = '[data-credential="big"] .meter[data-window="five_hour"]';

async function sendMessage(harness: Harness): Promise<void> {
  const response = await fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(MESSAGE),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

async function utilizationOf(page: Page, selector: string): Promise<number> {
  return Number(await page.getAttribute(selector, 'data-utilization', { timeout: 1000 }));
}

describe('dashboard in headless Chromium', () => {
  let harness: Harness;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    harness = await startHarness({
      accounts: [
        { id: 'big', plan: 'max20x', fiveHourUtilization: 10, weeklyUtilization: 20 },
        { id: 'small', plan: 'pro', fiveHourUtilization: 50, weeklyUtilization: 60 },
      ],
    });
    await sendMessage(harness);
    // The node polls the usage of a credential it has no data for; wait for that, so the status
    // stays put unless a test changes it.
    await waitFor(
      async () => (await claudeRows(harness)).every((row) => row.five_hour_reset > 0),
      'every credential to report a 5 hour reset',
    );
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(async () => {
    await harness.close();
  });

  async function openPage(viewport = { width: 1100, height: 900 }): Promise<Page> {
    browser = await launchBrowser(viewport);
    return openDashboard(browser, harness.node.url, pageErrors);
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.locator('#token').fill(token);
    await page.locator('#login button[type="submit"]').click();
  }

  it('serves the page without a token, as HTML with a strict CSP and no caching', async () => {
    const response = await fetch(`${harness.node.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    // At least 128 bits, and fresh per response: a nonce that repeats is no protection.
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22,}={0,2}$/);
    const second = await fetch(`${harness.node.url}/`);
    await second.arrayBuffer();
    const again = second.headers.get('content-security-policy') ?? '';
    expect(again).toContain("script-src 'nonce-");
    expect(again).not.toContain(nonce);
    const html = await response.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain('name="viewport"');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/);
  });

  it('asks for a token, shows the pool bars and credential rows, and follows utilization live', async () => {
    const page = await openPage();
    await page.locator('#login').waitFor({ state: 'visible' });
    await signIn(page, harness.adminToken);
    await page.locator(POOL_5H).waitFor();
    await page.locator(BIG_5H).waitFor();
    expect(await page.locator('[data-credential]').count()).toBe(2);
    const poolBefore = await utilizationOf(page, POOL_5H);
    expect(await utilizationOf(page, BIG_5H)).toBeLessThan(20);
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('live');

    // 62% keeps 'big' the least used, so the next request goes there and the node learns it
    // from the response headers; the page must redraw from the stream without a reload.
    harness.sim.setUsage('big', { fiveHourUtilization: 62, weeklyUtilization: 48 });
    await waitFor(async () => {
      await sendMessage(harness);
      return (await utilizationOf(page, BIG_5H)) >= 62;
    }, "the page to show 'big' at 62 % or more");
    expect(await utilizationOf(page, POOL_5H)).toBeGreaterThan(poolBefore);
    await waitFor(
      async () => /^resets in \d+h\d\dm$/.test((await page.locator(`${BIG_5H} .reset`).textContent()) ?? ''),
      "'big' to show when its window resets",
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('keeps the token across reloads and shows a user no credential rows', async () => {
    const page = await openPage();
    await signIn(page, harness.userToken);
    await page.locator(POOL_5H).waitFor();
    await page.reload();
    await page.locator(POOL_5H).waitFor();
    expect(await page.locator('#login').isHidden()).toBe(true);
    expect(await page.locator('[data-credential]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('asks again when the token is refused', async () => {
    const page = await openPage();
    await signIn(page, 'nobody-0123456789abcdefghij');
    await waitFor(
      async () => (await page.locator('#login-message').textContent())?.includes('not accepted'),
      'the login form to say the token was not accepted',
    );
    expect(await page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate("localStorage.getItem('quotamesh.token')")).toBeNull();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const page = await openPage({ width: 390, height: 844 });
    await signIn(page, harness.adminToken);
    await page.locator(BIG_5H).waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
  });
});
