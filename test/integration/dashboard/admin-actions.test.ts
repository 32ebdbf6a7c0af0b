/**
 * The dashboard's admin buttons (docs/ADMIN.md) in headless Chromium against a real node and the
 * simulator: shown on every credential row with the admin token only, disable asks first, and
 * each button's effect comes back through the live status stream.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialStatusRow } from '../../../src/status/index.ts';
import { claudeRows, startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { launchBrowser, openDashboard, type Browser } from './browser.ts';

const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts');
const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

describe('dashboard admin buttons in headless Chromium', () => {
  let harness: Harness;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    harness = await startHarness({
      accounts: [
        { id: 'a', plan: 'max20x', fiveHourUtilization: 10, weeklyUtilization: 20 },
        { id: 'b', plan: 'pro', fiveHourUtilization: 30, weeklyUtilization: 40 },
      ],
      claude: (credentials) => ({
        route: 'pool',
        credentials: [
          ...credentials,
          { tag: 'lap', type: 'external', peer: 'laptop' },
          { tag: 'pool', type: 'balancer', strategy: 'fallback', credentials: ['a', 'b'] },
        ],
      }),
      config: { peers: [{ name: 'laptop', token: 'laptop-peer-token-0123456789-abc' }] },
    });
    // The first usage poll (a second after start) would end a rate-limit bench a test sets up.
    await waitFor(async () => {
      const rows = await claudeRows(harness);
      return rows.filter((row) => row.type === 'default').every((row) => row.five_hour_reset > 0);
    }, 'every account to report a 5 hour reset');
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await harness.close();
  });

  async function openAs(token: string): Promise<Page> {
    browser = await launchBrowser({ width: 1100, height: 1000 });
    const page = await openDashboard(browser, harness.node.url, pageErrors);
    await page.locator('#token').fill(token);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('[data-provider="claude"]').waitFor();
    return page;
  }

  const row = (page: Page, tag: string): Locator => page.locator(`[data-credential="${tag}"]`);
  const button = (page: Page, tag: string, action: string): Locator => row(page, tag).locator(`button[data-action="${action}"]`);

  async function rowOf(tag: string): Promise<CredentialStatusRow | undefined> {
    return (await claudeRows(harness)).find((candidate) => candidate.tag === tag);
  }

  async function rowState(page: Page, tag: string): Promise<string | null> {
    return row(page, tag).getAttribute('data-state', { timeout: 1000 });
  }

  it('shows the buttons on every row with the admin token, poll only where there is an account', async () => {
    const page = await openAs(harness.adminToken);
    await row(page, 'lap').waitFor();
    for (const tag of ['a', 'b']) {
      expect(await row(page, tag).locator('button.action').allTextContents()).toEqual(['Disable', 'Reset cooldown', 'Poll now']);
    }
    expect(await row(page, 'lap').locator('button.action').allTextContents()).toEqual(['Disable', 'Reset cooldown']);
  });

  it('shows no buttons to a user', async () => {
    const page = await openAs(harness.userToken);
    await page.locator('[data-provider="claude"] .meter').first().waitFor();
    expect(await page.locator('[data-credential]').count()).toBe(0);
    expect(await page.locator('button[data-action]').count()).toBe(0);
  });

  it('disable asks first: cancel changes nothing, confirm disables with the reason; enable puts it back', async () => {
    const page = await openAs(harness.adminToken);
    await button(page, 'a', 'disable').click();
    await page.locator('#confirm-disable').waitFor({ state: 'visible' });
    expect(await page.locator('#confirm-target').textContent()).toBe('claude/a');
    await page.locator('#confirm-disable button[value="cancel"]').click();
    await page.locator('#confirm-disable').waitFor({ state: 'hidden' });
    expect((await rowOf('a'))?.state).toBe('usable');

    await button(page, 'a', 'disable').click();
    await page.locator('#disable-reason').fill('owner on holiday');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-admin-confirm.png'), fullPage: true });
    await page.locator('#confirm-disable button[value="disable"]').click();
    await waitFor(async () => (await rowState(page, 'a')) === 'disabled', "row 'a' to show disabled");
    expect(await rowOf('a')).toMatchObject({ state: 'disabled', disabled: { by: 'admin', reason: 'owner on holiday' } });
    expect(await row(page, 'a').locator('.badge').textContent()).toBe('disabled');
    expect(await row(page, 'a').locator('.disabled-note').textContent()).toMatch(/^disabled by admin · .+ · owner on holiday$/);
    await waitFor(
      async () => (await page.locator('#admin-message').textContent()) === 'claude/a disabled · now disabled',
      'the page to confirm',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-admin-disabled.png'), fullPage: true });

    await button(page, 'a', 'enable').click();
    await waitFor(async () => (await rowState(page, 'a')) === 'usable', "row 'a' to be usable again");
    expect((await rowOf('a'))?.disabled).toBeUndefined();
    expect(await button(page, 'a', 'disable').isVisible()).toBe(true);
  });

  it('reset cooldown puts a rate-limited credential back', async () => {
    const page = await openAs(harness.adminToken);
    harness.sim.script({ account: 'a', fault: { type: 'rate_limit_bare', retryAfterSeconds: 3600 } });
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(MESSAGE),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await waitFor(async () => (await rowState(page, 'a')) === 'rate_limited', "row 'a' to show rate limited");
    await button(page, 'a', 'reset-cooldown').click();
    await waitFor(async () => (await rowState(page, 'a')) === 'usable', "row 'a' to be usable after the reset");
    await waitFor(
      async () => (await page.locator('#admin-message').textContent()) === 'claude/a cooldown cleared · now usable',
      'the page to confirm the reset',
    );
  });

  it('poll now brings the account’s fresh numbers; a failed poll is said in red', async () => {
    const page = await openAs(harness.adminToken);
    harness.sim.setUsage('b', { fiveHourUtilization: 55, weeklyUtilization: 66 });
    const fiveHour = row(page, 'b').locator('.meter[data-window="five_hour"]');
    await button(page, 'b', 'poll').click();
    await waitFor(async () => Number(await fiveHour.getAttribute('data-utilization', { timeout: 1000 })) === 55, "row 'b' to show 55 %");
    await waitFor(
      async () => (await page.locator('#admin-message').textContent()) === 'claude/b polled · now usable',
      'the page to confirm the poll',
    );

    harness.sim.script({ endpoint: 'usage', account: 'b', times: 5, fault: { type: 'server_error' } });
    await button(page, 'b', 'poll').click();
    await waitFor(
      async () => (await page.locator('#admin-message').getAttribute('data-kind')) === 'error',
      'the page to report the failed poll',
    );
    expect(await page.locator('#admin-message').textContent()).toBe("claude/b: polling claude/b failed; the node's log says why");
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-admin-poll-failed.png'), fullPage: true });
    // Chromium logs every non-2xx fetch; this one was the point of the test.
    const expected = 'Failed to load resource: the server responded with a status of 502 (Bad Gateway)';
    expect(pageErrors.filter((error) => error === expected)).toHaveLength(1);
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((error) => error !== expected));
  });
});
