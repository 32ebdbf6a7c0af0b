import { Agent } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { ExternalCredential, type PeerLink } from '../../../src/pool/index.ts';

const link: PeerLink = {
  peerName: 'liar',
  route: () => ({ baseUrl: 'http://liar.tunnel', agent: new Agent(), headers: {}, viaTunnel: true }),
  onChange: () => () => {},
};

function credential(planWeight: number | undefined): ExternalCredential {
  return new ExternalCredential({
    tag: 'liar',
    provider: 'claude',
    link,
    clock: new ManualClock(1_795_300_000_000),
    logger: pino({ level: 'silent' }),
    parseHeaders: () => ({ fiveHour: { utilization: 0, resetAt: 0 }, planWeight }),
    maxPlanWeight: 20,
  });
}

describe('an external credential holds its peer to max_plan_weight', () => {
  it.each([
    [1_000_000, 20],
    [1e308, 20],
    [7.5, 7.5],
    [Number.POSITIVE_INFINITY, 0],
    [Number.NaN, 0],
    [-3, 0],
  ])('a response header claiming %s counts as %s', (claimed, counted) => {
    const external = credential(claimed);
    external.observe({ status: 200, headers: {} }, 1_795_300_000_000);
    expect(external.snapshot(1_795_300_000_000).planWeight).toBe(counted);
  });
});
