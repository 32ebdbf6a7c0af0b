/**
 * The aggregate headers a sing-box caller gets: its plan-weight header and, for Claude, the
 * claim as `5h`/`7d` (sing-box's 429 path panics on anything else, service/ccm/credential.go);
 * and the same headers read back from a sing-box peer's responses.
 */
import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../../src/providers/claude/adapter.ts';
import { parseUnifiedHeaders } from '../../../src/providers/claude/ratelimit.ts';
import { codexAdapter } from '../../../src/providers/codex/adapter.ts';
import { parseCodexHeaders } from '../../../src/providers/codex/ratelimit.ts';
import type { ProviderStatus } from '../../../src/status/index.ts';

const NOW = 1_795_300_000;
const aggregate: ProviderStatus = {
  five_hour_utilization: 95,
  five_hour_reset: NOW + 600,
  weekly_utilization: 40,
  weekly_reset: NOW + 86_400,
  plan_weight: 15,
  state: 'usable',
  retry_at: 0,
};

describe('headers for sing-box callers', () => {
  it.each([
    [95, '5h'],
    [10, '7d'],
  ])('Claude: 5h at %i %% names the claim %s and adds X-CCM-Plan-Weight', (fiveHour, claim) => {
    const ours = claudeAdapter.aggregateHeaders({ ...aggregate, five_hour_utilization: fiveHour, weekly_utilization: 60 }, NOW);
    const theirs = claudeAdapter.forSingBox(ours);
    expect(theirs['anthropic-ratelimit-unified-representative-claim']).toBe(claim);
    expect(theirs['x-ccm-plan-weight']).toBe('15');
    expect(ours['anthropic-ratelimit-unified-representative-claim']).toMatch(/^(five_hour|seven_day)$/);
  });

  it('Codex: adds X-OCM-Plan-Weight and changes nothing else', () => {
    const ours = codexAdapter.aggregateHeaders(aggregate, NOW);
    expect(codexAdapter.forSingBox(ours)).toEqual({ ...ours, 'x-ocm-plan-weight': '15' });
  });

  it("reads a sing-box peer's plan weight, and drops it before our client sees it", () => {
    expect(parseUnifiedHeaders({ 'x-ccm-plan-weight': '7' }, NOW)?.planWeight).toBe(7);
    expect(parseCodexHeaders({ 'x-ocm-plan-weight': '5' }, NOW)?.planWeight).toBe(5);
    expect(claudeAdapter.isAccountHeader('x-ccm-plan-weight')).toBe(true);
    expect(codexAdapter.isAccountHeader('x-ocm-plan-weight')).toBe(true);
  });
});
