import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../../src/commands/status-table.ts';
import type { NodeStatus } from '../../../src/status/index.ts';

// A recorded admin payload: three credentials (one rate limited, one a peer's) and a
// rate-limited provider without credential rows (what a user token sees).
const ADMIN = JSON.parse(readFileSync(join(import.meta.dirname, 'status-admin.json'), 'utf8')) as NodeStatus;

describe('status table', () => {
  it('renders pool bars, countdowns and per-credential rows at 80 columns', () => {
    expect(renderStatus(ADMIN, { nowSeconds: ADMIN.time, width: 80, color: false })).toMatchInlineSnapshot(`
      "node hub · 2026-11-21 22:26:40 UTC

      claude  usable  plan weight 16
        5 hour  █████████░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░  23.5%  resets in 2h13m
        weekly  ████████████████░░░░░░░░░░░░░░░░░░░░░░░░  41.0%  resets in 5d12h

        credential  state         weight  peer    window                  used  reset
        mine        usable            10  -       5 hour  ██░░░░░░░░░░░  12.0%  2h13m
                                                  weekly  █████░░░░░░░░  40.0%  5d12h
        work-max5   rate_limited       5  -       5 hour  █████████████   100%  1h02m
                    retry 1h02m                   weekly  ██████████░░░  77.3%  2d10h
        laptop      usable             1  laptop  5 hour  ░░░░░░░░░░░░░   0.0%  -
                                                  weekly  ████████████░  92.4%  13h53m

      codex  rate_limited  retry in 25m  plan weight 1
        5 hour  ████████████████████████████████████████   100%  resets in 25m
        weekly  ██████████████████████████░░░░░░░░░░░░░░  64.1%  resets in 3d11h
      "
    `);
  });

  it('fits the credential table in 80 columns', () => {
    const lines = renderStatus(ADMIN, { nowSeconds: ADMIN.time, width: 80, color: false }).split('\n');
    expect(Math.max(...lines.map((line) => [...line].length))).toBeLessThanOrEqual(80);
  });

  it('colours only when asked, and colour does not shift the columns', () => {
    const plain = renderStatus(ADMIN, { nowSeconds: ADMIN.time, width: 100, color: false });
    const coloured = renderStatus(ADMIN, { nowSeconds: ADMIN.time, width: 100, color: true });
    expect(plain).not.toContain('\x1b[');
    expect(coloured).toContain('\x1b[31m');
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('counts down from the given now', () => {
    const later = renderStatus(ADMIN, { nowSeconds: ADMIN.time + 3600, width: 80, color: false });
    expect(later).toContain('resets in 1h13m');
    expect(later).toContain('retry 2m');
  });

  it('says so when no provider is shared with the token', () => {
    expect(renderStatus({ node: 'n', time: 0, providers: {} }, { nowSeconds: 0, width: 80, color: false })).toMatchInlineSnapshot(`
      "node n · time unknown

      no provider is shared with this token
      "
    `);
  });

  it('shows a user its own consumption against its limits, and the admin every consumer', () => {
    const now = 1_800_000_000;
    const provider = {
      five_hour_utilization: 20,
      five_hour_reset: now + 3600,
      weekly_utilization: 30,
      weekly_reset: now + 86_400,
      plan_weight: 2,
      state: 'usable' as const,
      retry_at: 0,
    };
    const user: NodeStatus = {
      node: 'hub',
      time: now,
      providers: {
        claude: {
          ...provider,
          my_five_hour_percent: 12.3456,
          my_weekly_percent: 3.2,
          my_limits: { five_hour_percent: 10, weekly_percent: null },
          my_retry_at: now + 600,
        },
      },
    };
    const text = renderStatus(user, { nowSeconds: now, width: 80, color: false });
    expect(text).toContain('you used 12.3% of 10% (5 hour) · 3.20% (weekly) · over your limit, retry in 10m');
    const admin: NodeStatus = {
      node: 'hub',
      time: now,
      providers: {
        claude: {
          ...provider,
          consumers: [
            {
              caller: 'carol',
              kind: 'user',
              five_hour_percent: 12.3,
              weekly_percent: 3,
              five_hour_limit: 10,
              weekly_limit: null,
              retry_at: now + 600,
            },
            {
              caller: 'laptop',
              kind: 'peer',
              five_hour_percent: 0,
              weekly_percent: 0,
              five_hour_limit: null,
              weekly_limit: 40,
              retry_at: 0,
            },
          ],
        },
      },
    };
    const lines = renderStatus(admin, { nowSeconds: now, width: 80, color: false }).split('\n');
    expect(lines.find((line) => line.includes('carol'))).toMatch(/carol\s+user\s+12\.3%\s+10%\s+3\.00%\s+-\s+refused, retry in 10m/);
    expect(lines.find((line) => line.includes('laptop'))).toMatch(/laptop\s+peer\s+0\.00%\s+-\s+0\.00%\s+40%/);
  });
});
