import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { Alerts, DEFAULT_DELIVERY, LIMIT_REPEAT_MS } from '../../../src/node/alerts/index.ts';
import { startAlertReceiver, type AlertReceiverServer } from '../../helpers/alert-receiver.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let receiver: AlertReceiverServer | undefined;
let alerts: Alerts | undefined;
afterEach(async () => {
  alerts?.close();
  await receiver?.close();
  alerts = undefined;
  receiver = undefined;
});

function startAlerts(url: string, clock = new ManualClock(), delivery = {}) {
  const counts = { sent: 0, failed: 0, dropped: 0 };
  const { logger, lines } = capturingLogger();
  const instance = new Alerts({
    alerts: [{ url, peer_down_grace_ms: 0 }],
    nodeName: 'hub',
    clock,
    logger,
    delivery: { ...DEFAULT_DELIVERY, timeoutMs: 60_000, ...delivery },
    counters: () => ({
      sent: () => (counts.sent += 1),
      failed: () => (counts.failed += 1),
      dropped: () => (counts.dropped += 1),
    }),
  });
  return { alerts: instance, counts, lines };
}

describe('alert delivery', () => {
  it('holds at most maxQueue events behind the one being sent, dropping the oldest and counting it', async () => {
    receiver = await startAlertReceiver();
    receiver.answer('hold');
    const started = startAlerts(receiver.url, new ManualClock(), { maxQueue: 3 });
    alerts = started.alerts;
    const limit = (name: string) =>
      alerts?.limitReached({ kind: 'user', name, limit: 'request_budget.per_caller_concurrent', detail: 'd' });
    limit('u1');
    await waitFor(() => receiver?.received.length === 1, 'the first event to be in flight');
    for (const name of ['u2', 'u3', 'u4', 'u5', 'u6']) limit(name);
    expect(started.counts.dropped).toBe(2);
    receiver.answer(200);
    receiver.release();
    await waitFor(() => started.counts.sent === 4, 'the queue to drain');
    expect(receiver.received.map((alert) => alert.body.user)).toEqual(['u1', 'u4', 'u5', 'u6']);
    expect(started.lines.filter((line) => line.includes('dropped the oldest'))).toHaveLength(2);
  });

  it('reports the same user at the same limit again only after the repeat interval', async () => {
    receiver = await startAlertReceiver();
    const clock = new ManualClock();
    const started = startAlerts(receiver.url, clock);
    alerts = started.alerts;
    const limit = (name: string, key = 'request_budget.per_caller_concurrent') =>
      alerts?.limitReached({ kind: 'user', name, limit: key, detail: 'd' });
    limit('alice');
    limit('alice');
    limit('alice', 'request_budget.per_caller_body_bytes');
    clock.advance(LIMIT_REPEAT_MS - 1);
    limit('alice');
    clock.advance(1);
    limit('alice');
    await waitFor(() => started.counts.sent === 3, 'three events');
    expect(receiver.received.map((alert) => String(alert.body.detail).split(':')[0])).toEqual([
      'request_budget.per_caller_concurrent',
      'request_budget.per_caller_body_bytes',
      'request_budget.per_caller_concurrent',
    ]);
  });

  it('does not retry a receiver that refuses the event itself (4xx), and never logs its URL', async () => {
    receiver = await startAlertReceiver();
    receiver.answer(404);
    const started = startAlerts(`${receiver.url}/T000/B000/secret-part`, new ManualClock(), { maxAttempts: 5, baseDelayMs: 1 });
    alerts = started.alerts;
    alerts.limitReached({ kind: 'peer', name: 'laptop', limit: 'x', detail: 'd' });
    await waitFor(() => started.counts.failed === 1, 'the event to be given up');
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.body).toMatchObject({ event: 'limit_reached', peer: 'laptop' });
    expect(started.lines.join('\n')).not.toContain('secret-part');
  });

  it('does not hold what a receiver sends back: an endless answer body still counts as delivered', async () => {
    const posts: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posts.push(body);
        response.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = (): void => {
          while (response.write(chunk)) if (response.destroyed) return;
          response.once('drain', pump);
        };
        response.on('close', () => response.removeAllListeners('drain'));
        pump();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const started = startAlerts(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      alerts = started.alerts;
      alerts.limitReached({ kind: 'user', name: 'a', limit: 'x', detail: 'd' });
      alerts.limitReached({ kind: 'user', name: 'b', limit: 'x', detail: 'd' });
      await waitFor(() => started.counts.sent === 2, 'both events delivered');
      expect(posts).toHaveLength(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
