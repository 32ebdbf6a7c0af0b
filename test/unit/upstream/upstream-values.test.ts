/**
 * Issue 13 item 11: values from an upstream are bounded before they are stored. Tokens with
 * control characters are not saved, ledger token counts are whole, finite and bounded, and resets
 * from the usage endpoints are bounded like header resets (≤ 400 days). Each case was accepted
 * as it came before.
 */
import { describe, expect, it } from 'vitest';
import {
  claudeUsageTap,
  codexUsageTap,
  parseClaudeUsage,
  parseCodexRefreshResponse,
  parseCodexUsage,
  parseRefreshResponse,
} from '../../../src/providers/index.ts';
import type { UsageTap } from '../../../src/upstream/index.ts';

const NOW_SECONDS = 1_800_000_000;
const NOW_MS = NOW_SECONDS * 1000;
const DAY = 24 * 3600;

describe('tokens with control characters are not saved', () => {
  it.each(['sk-ant-oat01-abc\r\nx-evil: 1', 'sk-ant-oat01-\u0000abc', 'sk-ant oat01', 'tok\u007f', 'é-token'])(
    'Claude access token %j',
    (token) => {
      const body = JSON.stringify({ access_token: token, refresh_token: 'sk-ant-ort01-ok', expires_in: 3600 });
      expect(parseRefreshResponse(200, new Headers(), body, NOW_MS).kind).toBe('failed');
    },
  );

  it('a Claude refresh token with a newline', () => {
    const body = JSON.stringify({ access_token: 'sk-ant-oat01-ok', refresh_token: 'sk-ant-ort01-\nbad', expires_in: 3600 });
    expect(parseRefreshResponse(200, new Headers(), body, NOW_MS).kind).toBe('failed');
  });

  it.each(['access_token', 'refresh_token', 'id_token'])('Codex %s with a CR', (field) => {
    const body = JSON.stringify({ access_token: 'eyJ.a.b', refresh_token: 'rt_ok', id_token: 'eyJ.c.d', [field]: 'eyJ\r.x.y' });
    expect(parseCodexRefreshResponse(200, {}, body, NOW_MS).kind).toBe('failed');
  });

  it('ordinary tokens still pass', () => {
    expect(
      parseRefreshResponse(
        200,
        new Headers(),
        JSON.stringify({ access_token: 'sk-ant-oat01-A_b-9', refresh_token: 'sk-ant-ort01-x', expires_in: 3600 }),
        NOW_MS,
      ).kind,
    ).toBe('ok');
    expect(
      parseCodexRefreshResponse(200, {}, JSON.stringify({ access_token: 'eyJhbGci.eyJzdWIi.sig-_', refresh_token: 'rt_x' }), NOW_MS).kind,
    ).toBe('ok');
  });
});

function tapped(tap: UsageTap, text: string): ReturnType<UsageTap['finish']> {
  tap.push(Buffer.from(text));
  return tap.finish();
}

describe('ledger token counts are whole, finite and bounded', () => {
  it.each([1e308, 1e12, 0.5e9 + 0.25, -5, 2.7])('Claude JSON usage input_tokens %s', (value) => {
    const usage = tapped(claudeUsageTap('application/json'), `{"usage":{"input_tokens":${value},"output_tokens":7}}`);
    expect(Number.isSafeInteger(usage?.input_tokens)).toBe(true);
    expect(usage?.input_tokens).toBeLessThanOrEqual(100_000_000);
    expect(usage?.output_tokens).toBe(7);
  });

  it('a Codex response.completed with absurd counts', () => {
    const event = {
      type: 'response.completed',
      response: { usage: { input_tokens: 1e300, output_tokens: 1e15, input_tokens_details: { cached_tokens: 3.5 } } },
    };
    const usage = tapped(codexUsageTap('text/event-stream'), `data: ${JSON.stringify(event)}\n\n`);
    for (const value of Object.values(usage ?? {})) {
      expect(Number.isSafeInteger(value)).toBe(true);
      expect(value).toBeLessThanOrEqual(100_000_000);
    }
  });
});

describe('resets from the usage endpoints are bounded like header resets', () => {
  it('Claude: a reset in year 9999 is unknown, one in 3 days is kept', () => {
    const far = parseClaudeUsage({ seven_day: { utilization: 100, resets_at: '9999-12-31T00:00:00Z' } }, NOW_SECONDS);
    expect(far?.weekly?.resetAt).toBe(0);
    const near = new Date((NOW_SECONDS + 3 * DAY) * 1000).toISOString();
    expect(parseClaudeUsage({ seven_day: { utilization: 100, resets_at: near } }, NOW_SECONDS)?.weekly?.resetAt).toBe(
      NOW_SECONDS + 3 * DAY,
    );
  });

  it.each([[{ reset_at: NOW_SECONDS + 401 * DAY }], [{ reset_at: 1e15 }], [{ reset_after_seconds: 500 * DAY }]])(
    'Codex: %j is no reset',
    (reset) => {
      const usage = parseCodexUsage(
        { rate_limit: { primary_window: { used_percent: 100, limit_window_seconds: 604_800, ...reset } } },
        NOW_SECONDS,
      );
      expect(usage?.weekly?.resetAt ?? 0).toBe(0);
    },
  );

  it('Codex: a reset in 2 days is kept', () => {
    const usage = parseCodexUsage(
      { rate_limit: { primary_window: { used_percent: 100, limit_window_seconds: 604_800, reset_after_seconds: 2 * DAY } } },
      NOW_SECONDS,
    );
    expect(usage?.weekly?.resetAt).toBe(NOW_SECONDS + 2 * DAY);
  });
});
