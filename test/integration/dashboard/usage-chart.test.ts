import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { launchBrowser, openDashboard, type Browser } from './browser.ts';

const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts');
const DAY_MS = 86_400_000;

interface UsagePayload {
  node: string;
  days: string[];
  users: Array<{ key: string; tokens: number[]; cost_usd: number[] }>;
  credentials: Array<{ key: string; tokens: number[]; cost_usd: number[] }>;
  unpriced_tokens: number;
}

/** Past days of usage, as the node would have written them, so the chart has a shape to draw. */
function writeHistory(ledgerPath: string, nowMs: number): void {
  mkdirSync(dirname(ledgerPath), { recursive: true });
  const lines: string[] = [];
  const people = [
    ['alice', 'big', 'claude-opus-4-6', 60_000],
    ['bob', 'small', 'claude-sonnet-4-5', 25_000],
    ['carol', 'big', 'claude-haiku-4-5', 9_000],
  ] as const;
  for (let back = 13; back >= 1; back -= 1) {
    people.forEach(([user, credential, model, base], index) => {
      if ((back + index) % 4 === 0) return;
      lines.push(
        JSON.stringify({
          time: new Date(nowMs - back * DAY_MS).toISOString(),
          user,
          peer: null,
          provider: 'claude',
          credential,
          model,
          input_tokens: base + back * 1000,
          output_tokens: Math.round(base / 5),
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: base * 2,
          status: 200,
          duration_ms: 1000,
        }),
      );
    });
  }
  appendFileSync(ledgerPath, `${lines.join('\n')}\n`);
}

async function usage(harness: Harness, token: string, query = ''): Promise<Response> {
  return fetch(`${harness.node.url}/v1/admin/usage${query}`, { headers: { authorization: `Bearer ${token}` } });
}

describe('usage chart', () => {
  let harness: Harness;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    harness = await startHarness({
      accounts: [
        { id: 'big', plan: 'max20x' },
        { id: 'small', plan: 'pro' },
      ],
    });
    writeHistory(harness.node.ledgerPath, Date.now());
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(async () => {
    await harness.close();
  });

  async function openPage(): Promise<Page> {
    browser = await launchBrowser({ width: 1200, height: 1100 });
    return openDashboard(browser, harness.node.url, pageErrors);
  }

  it('serves the series to the admin token only', async () => {
    expect((await fetch(`${harness.node.url}/v1/admin/usage`)).status).toBe(401);
    const asUser = await usage(harness, harness.userToken);
    expect(asUser.status).toBe(403);
    expect(((await asUser.json()) as { type: string }).type).toBe('error');
    expect((await usage(harness, harness.adminToken, '?days=0')).status).toBe(400);
    expect((await usage(harness, harness.adminToken, '?days=1000')).status).toBe(400);
    const response = await usage(harness, harness.adminToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as UsagePayload;
    expect(body.days).toHaveLength(14);
    expect(body.users.map((series) => series.key).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(body.credentials.map((series) => series.key).sort()).toEqual(['claude/big', 'claude/small']);
    // Today's request went through the node and was priced as Sonnet 4.5.
    const alice = body.users.find((series) => series.key === 'alice');
    expect(alice?.tokens.at(-1)).toBeGreaterThan(0);
    expect(alice?.cost_usd.at(-1)).toBeGreaterThan(0);
  });

  it('draws usage per day per user and per credential for the admin, and a screenshot for the reviewer', async () => {
    const expected = (await (await usage(harness, harness.adminToken)).json()) as UsagePayload;
    const page = await openPage();
    await page.locator('#token').fill(harness.adminToken);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#usage').waitFor({ state: 'visible' });
    const userBars = page.locator('[data-chart="By user"] rect[data-series]');
    await waitFor(async () => (await userBars.count()) > 0, 'the bars by user');
    // One segment per (user, day) with tokens: the chart draws exactly what the endpoint says.
    const segments = expected.users.flatMap((series) => series.tokens.filter((value) => value > 0)).length;
    expect(await userBars.count()).toBe(segments);
    const aliceToday = expected.users.find((series) => series.key === 'alice')?.tokens.at(-1);
    const todayBar = page.locator(`[data-chart="By user"] rect[data-series="alice"][data-day="${expected.days.at(-1)}"]`);
    expect(await todayBar.getAttribute('data-value')).toBe(String(aliceToday));
    const credentialBars = page.locator('[data-chart="By credential"] rect[data-series]');
    expect(await credentialBars.count()).toBe(expected.credentials.flatMap((series) => series.tokens.filter((value) => value > 0)).length);
    expect(await page.locator('[data-chart="By credential"] .legend li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('claude/big')]),
    );
    // The tallest day's bar reaches the top of the plot: the scale is the data's, not a constant.
    const heights = await userBars.evaluateAll((rects) => rects.map((rect) => Number(rect.getAttribute('y'))));
    expect(Math.min(...heights)).toBeCloseTo(10, 0);

    await page.locator('#usage [data-metric="cost"]').click();
    await waitFor(async () => (await page.locator('#usage-note').textContent())?.includes('API prices'), 'the cost view');
    const aliceCost = expected.users.find((series) => series.key === 'alice')?.cost_usd.at(-1);
    expect(Number(await todayBar.getAttribute('data-value'))).toBeCloseTo(aliceCost ?? Number.NaN, 6);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-usage-cost.png'), fullPage: true });
    await page.locator('#usage [data-metric="tokens"]').click();
    await page.locator('#usage').screenshot({ path: join(ARTIFACTS, 'dashboard-usage.png') });
    expect(pageErrors).toEqual([]);
  });

  it('shows no usage section to a user token', async () => {
    const page = await openPage();
    await page.locator('#token').fill(harness.userToken);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('[data-provider="claude"]').waitFor();
    // The chart looked at the status first and never asked for the series.
    await page.locator('#usage[data-state="not-admin"]').waitFor({ state: 'attached' });
    expect(
      await page.evaluate(() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('/v1/admin/usage'))),
    ).toBe(false);
    expect(await page.locator('#usage').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
