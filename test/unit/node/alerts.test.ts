import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, ManualClock } from '../../../src/lib/index.ts';
import { parseConfigValue } from '../../../src/node/index.ts';
import { ALERT_EVENTS, alertBody, credentialTransitions, signAlertBody, type CredentialView } from '../../../src/node/alerts/index.ts';
import { AlertReceiver } from '../../../src/node/alerts/alert-receiver.ts';
import type { CredentialState } from '../../../src/status/index.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function view(tag: string, state: CredentialState, extra: Partial<CredentialView> = {}): CredentialView {
  return { provider: 'claude', tag, type: 'default', state, retryAt: 0, reason: undefined, ...extra };
}

describe('credential transitions', () => {
  it('makes one event per episode, in the order of the steps', () => {
    const states = new Map<string, CredentialState>();
    const steps: Array<[CredentialView[], Array<[string, string, string]>]> = [
      // First sight: usable is the baseline, a broken credential is reported at once.
      [
        [view('a', 'usable'), view('b', 'unavailable', { reason: 'credential file missing' })],
        [['credential_unavailable', 'b', 'credential file missing']],
      ],
      [
        [view('a', 'rate_limited', { retryAt: NOW / 1000 + 60 }), view('b', 'unavailable')],
        [['credential_rate_limited', 'a', 'until 2026-11-21T12:01:00.000Z']],
      ],
      // Still limited (a second 429 in the same episode, a new retry time): nothing new.
      [[view('a', 'rate_limited', { retryAt: NOW / 1000 + 120 }), view('b', 'unavailable')], []],
      [
        [view('a', 'usable'), view('b', 'usable')],
        [
          ['credential_recovered', 'a', 'was rate-limited'],
          ['credential_recovered', 'b', 'was unavailable'],
        ],
      ],
      [
        [view('a', 'rate_limited', { reason: 'five_hour rejected' }), view('b', 'usable')],
        [['credential_rate_limited', 'a', 'reset time unknown (five_hour rejected)']],
      ],
      [
        [view('a', 'unavailable', { reason: 'refresh token rejected' }), view('b', 'usable')],
        [['credential_unavailable', 'a', 'refresh token rejected']],
      ],
      // Another node's capacity is that node's to report.
      [[view('a', 'unavailable'), view('laptop', 'unavailable', { type: 'external' })], []],
    ];
    for (const [views, expected] of steps) {
      const events = credentialTransitions(states, views, NOW);
      expect(events.map((event) => [event.event, 'credential' in event ? event.credential : '', event.detail])).toEqual(expected);
    }
  });

  it('keeps credentials of different providers apart', () => {
    const states = new Map<string, CredentialState>();
    const events = credentialTransitions(states, [view('a', 'rate_limited'), { ...view('a', 'usable'), provider: 'codex' }], NOW);
    expect(events.map((event) => event.event)).toEqual(['credential_rate_limited']);
    expect(states.get('codex/a')).toBe('usable');
  });
});

describe('alert body', () => {
  it('carries the event, node, subject, time, detail and the same line for Slack and Discord', () => {
    const body = alertBody(
      { event: 'credential_rate_limited', provider: 'claude', credential: 'big', timeMs: NOW, detail: 'until 13:00' },
      'hub',
    );
    expect(JSON.parse(body)).toEqual({
      event: 'credential_rate_limited',
      node: 'hub',
      provider: 'claude',
      credential: 'big',
      time: '2026-11-21T12:00:00.000Z',
      detail: 'until 13:00',
      text: 'quotamesh hub: claude credential big is rate-limited: until 13:00',
      content: 'quotamesh hub: claude credential big is rate-limited: until 13:00',
    });
    const user = JSON.parse(alertBody({ event: 'limit_reached', user: 'alice', timeMs: NOW, detail: 'x' }, 'hub')) as Record<
      string,
      unknown
    >;
    expect(user).toMatchObject({ user: 'alice', provider: null });
    expect(user).not.toHaveProperty('credential');
    expect(user).not.toHaveProperty('peer');
  });

  it('signs the raw body with HMAC-SHA256, as an independent HMAC computes it', () => {
    const body = '{"event":"peer_up"}';
    // RFC 4231 test case 2 key and data give a known HMAC-SHA256.
    expect(signAlertBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(signAlertBody(body, 'k'.repeat(16))).toBe(`sha256=${createHmac('sha256', 'k'.repeat(16)).update(body).digest('hex')}`);
  });
});

describe('peer down grace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function receiverWithGrace(graceMs: number) {
    const clock = new ManualClock(NOW);
    const sent: string[] = [];
    const receiver = new AlertReceiver({
      events: ALERT_EVENTS,
      peerDownGraceMs: graceMs,
      sender: { enqueue: (event) => sent.push(event), close: () => {} },
      clock,
      nodeName: 'hub',
    });
    return { clock, sent, receiver };
  }

  it('says nothing about a tunnel back within the grace', () => {
    vi.useFakeTimers();
    const { sent, receiver } = receiverWithGrace(30_000);
    receiver.tunnel('laptop', false);
    vi.advanceTimersByTime(29_999);
    receiver.tunnel('laptop', true);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });

  it('reports a tunnel down past the grace once, and its return once', () => {
    vi.useFakeTimers();
    const { sent, receiver } = receiverWithGrace(30_000);
    receiver.tunnel('laptop', false);
    receiver.tunnel('laptop', false);
    vi.advanceTimersByTime(30_000);
    expect(sent).toEqual(['peer_down']);
    receiver.tunnel('laptop', false);
    vi.advanceTimersByTime(60_000);
    receiver.tunnel('laptop', true);
    receiver.tunnel('laptop', true);
    expect(sent).toEqual(['peer_down', 'peer_up']);
    receiver.close();
  });

  it('sends no peer_up for a tunnel it never reported down', () => {
    vi.useFakeTimers();
    const { sent, receiver } = receiverWithGrace(1000);
    receiver.tunnel('laptop', true);
    expect(sent).toEqual([]);
  });

  it('stops its grace timers on close', () => {
    vi.useFakeTimers();
    const { sent, receiver } = receiverWithGrace(1000);
    receiver.tunnel('laptop', false);
    receiver.close();
    vi.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });
});

describe('alerts config', () => {
  const environment = { env: { ALERT_SECRET: 's'.repeat(32) }, homeDir: '/home/me', baseDir: '/etc/qm' };
  const problemsOf = (alerts: unknown): string[] => {
    try {
      parseConfigValue({ alerts }, environment);
    } catch (error) {
      if (error instanceof ConfigError) return [...error.problems];
      throw error;
    }
    return [];
  };

  it('takes the secret from the environment and defaults to every event after a 60 s grace', () => {
    const config = parseConfigValue({ alerts: [{ url: 'https://hooks.example/x', secret: '${ALERT_SECRET}' }] }, environment);
    expect(config.alerts).toEqual([{ url: 'https://hooks.example/x', secret: 's'.repeat(32), peer_down_grace_ms: 60_000 }]);
    expect(parseConfigValue({}, environment).alerts).toEqual([]);
  });

  it('names the path of each bad field', () => {
    expect(problemsOf([{ url: 'ftp://x', events: ['peer_sad'], secret: 'short', peer_down_grace_ms: -1, extra: 1 }])).toEqual([
      'alerts[0].url: expected an http:// or https:// URL',
      `alerts[0].events[0]: expected one of ${ALERT_EVENTS.join('|')}`,
      'alerts[0].secret: a secret is at least 16 characters',
      'alerts[0].peer_down_grace_ms: Too small: expected number to be >=0',
      'alerts[0].extra: unknown key',
    ]);
    expect(problemsOf([{ url: 'https://x', secret: '${NOT_SET}' }])).toEqual(['alerts[0].secret: environment variable NOT_SET is not set']);
  });
});
