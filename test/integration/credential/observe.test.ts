import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, toUnixSeconds } from '../../../src/lib/index.ts';
import { cleanup, startHarness } from './fixture.ts';

afterEach(cleanup);

async function postMessages(url: string, token: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'anthropic-beta': 'oauth-2025-04-20', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.entries());
}

describe('observe', () => {
  it('cools a header-less 429 down for seconds, not hours', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    sim.script({ fault: { type: 'rate_limit_bare' } });
    const response = await postMessages(sim.url, sim.account('alice').accessToken);
    expect(response.status).toBe(429);
    credential.observe({ status: 429, headers: headersOf(response) }, clock.now());

    const snapshot = credential.snapshot(clock.now());
    expect(snapshot.state).toBe('rate_limited');
    expect(snapshot.retryAt - toUnixSeconds(clock.now())).toBeLessThanOrEqual(2);
    clock.advance(2000);
    expect(credential.isUsable(clock.now())).toBe(true);
  });

  it('cools a 429 with a reset header down until that reset', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    sim.script({ fault: { type: 'rate_limit', window: 'five_hour' } });
    const response = await postMessages(sim.url, sim.account('alice').accessToken);
    expect(response.status).toBe(429);
    credential.observe({ status: 429, headers: headersOf(response) }, clock.now());

    const reset = Number(response.headers.get('anthropic-ratelimit-unified-5h-reset'));
    expect(reset).toBeGreaterThan(toUnixSeconds(clock.now()) + 3600);
    expect(credential.snapshot(clock.now())).toMatchObject({ state: 'rate_limited', retryAt: reset });
    expect(credential.reason(clock.now())).toMatch(/rate-limited until/);
    clock.set(reset * 1000 + 1000);
    expect(credential.isUsable(clock.now())).toBe(true);
  });

  it('learns usage from response headers and emits only on real changes', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock, accounts: [{ id: 'alice', fiveHourUtilization: 30, weeklyUtilization: 10 }] });
    let events = 0;
    credential.onChange(() => (events += 1));
    const response = await postMessages(sim.url, sim.account('alice').accessToken);
    credential.observe({ status: 200, headers: headersOf(response) }, clock.now());
    const snapshot = credential.snapshot(clock.now());
    expect(snapshot.hasData).toBe(true);
    expect(snapshot.fiveHour.utilization).toBeGreaterThanOrEqual(30);
    expect(events).toBe(1);
    credential.observe({ status: 200, headers: headersOf(response) }, clock.now());
    expect(events).toBe(1);
  });

  it('benches briefly after 529, 5xx and transport errors, and a success ends it', async () => {
    const clock = new ManualClock();
    const { credential } = await startHarness({ clock });
    credential.observe({ status: 529, headers: {} }, clock.now());
    expect(credential.isUsable(clock.now())).toBe(false);
    expect(credential.reason(clock.now())).toMatch(/upstream errors/);
    const first = credential.snapshot(clock.now()).retryAt - toUnixSeconds(clock.now());
    credential.observe({ status: 0, headers: {} }, clock.now());
    const second = credential.snapshot(clock.now()).retryAt - toUnixSeconds(clock.now());
    expect(first).toBeLessThanOrEqual(5);
    expect(second).toBeGreaterThan(first);
    expect(second).toBeLessThanOrEqual(30);
    credential.observe({ status: 200, headers: {} }, clock.now());
    expect(credential.isUsable(clock.now())).toBe(true);
  });

  it('treats a window past its reset as empty again', async () => {
    const clock = new ManualClock();
    const { credential } = await startHarness({ clock });
    const reset = toUnixSeconds(clock.now()) + 600;
    credential.observe(
      {
        status: 200,
        headers: { 'anthropic-ratelimit-unified-5h-utilization': '1.0', 'anthropic-ratelimit-unified-5h-reset': String(reset) },
      },
      clock.now(),
    );
    expect(credential.snapshot(clock.now())).toMatchObject({ state: 'rate_limited', retryAt: reset });
    expect(credential.reason(clock.now())).toMatch(/usage at its cap/);
    clock.advance(601_000);
    expect(credential.isUsable(clock.now())).toBe(true);
    expect(credential.snapshot(clock.now()).state).toBe('usable');
  });
});
