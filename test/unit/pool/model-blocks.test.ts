import { Agent } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { ExternalCredential, type PeerLink } from '../../../src/pool/index.ts';
import { ModelBlocks } from '../../../src/pool/model-blocks.ts';

const NOW = 1_795_300_000_000;

describe('ModelBlocks', () => {
  it('blocks until the reset, else Retry-After, else a minute, and at most 8 days', () => {
    const blocks = new ModelBlocks();
    blocks.block('opus', { resetAtMs: NOW + 3_600_000 }, NOW);
    blocks.block('sonnet', { retryAfterMs: 120_000 }, NOW);
    blocks.block('haiku', {}, NOW);
    blocks.block('far', { resetAtMs: NOW + 400 * 86_400_000 }, NOW);
    expect(blocks.isBlocked('opus', NOW + 3_599_000)).toBe(true);
    expect(blocks.isBlocked('opus', NOW + 3_600_000)).toBe(false);
    expect(blocks.isBlocked('sonnet', NOW + 119_000)).toBe(true);
    expect(blocks.isBlocked('haiku', NOW + 59_000)).toBe(true);
    expect(blocks.isBlocked('haiku', NOW + 61_000)).toBe(false);
    expect(blocks.isBlocked('far', NOW + 8 * 86_400_000)).toBe(false);
    expect(blocks.reason(NOW)).toContain('opus until');
  });

  it('holds at most 16 families at once, so request bodies cannot grow it', () => {
    const blocks = new ModelBlocks();
    for (let index = 0; index < 100; index += 1) blocks.block(`model-${index}`, {}, NOW);
    expect(blocks.ends(NOW)).toHaveLength(16);
    expect(blocks.isBlocked('model-99', NOW)).toBe(false);
    // Expired entries make room again.
    blocks.block('late', {}, NOW + 120_000);
    expect(blocks.isBlocked('late', NOW + 120_000)).toBe(true);
  });
});

describe('an external credential and a model-scoped refusal its peer relayed', () => {
  const link: PeerLink = {
    peerName: 'peer',
    route: () => ({ baseUrl: 'http://peer.tunnel', agent: new Agent(), headers: {}, viaTunnel: true }),
    onChange: () => () => {},
  };
  it('stays usable, refuses that model for its Retry-After, and is not benched', () => {
    const external = new ExternalCredential({
      tag: 'peer',
      provider: 'claude',
      link,
      clock: new ManualClock(NOW),
      logger: pino({ level: 'silent' }),
      parseHeaders: () => ({ retryAfterSeconds: 300 }),
      maxPlanWeight: 20,
    });
    external.observe({ status: 429, headers: {}, scope: 'model', model: 'claude-opus-4-5' }, NOW);
    expect(external.isUsable(NOW)).toBe(true);
    expect(external.isModelBlocked('claude-opus-4-5', NOW + 299_000)).toBe(true);
    expect(external.isModelBlocked('claude-sonnet-4-5', NOW)).toBe(false);
    expect(external.isModelBlocked('claude-opus-4-5', NOW + 301_000)).toBe(false);
    external.observe({ status: 429, headers: {}, scope: 'request' }, NOW);
    expect(external.isUsable(NOW)).toBe(true);
  });
});
