import { describe, expect, it } from 'vitest';
import { renderOffline, renderStatusline } from '../../../src/commands/statusline-render.ts';
import type { ProviderStatus, SessionAssignment } from '../../../src/status/index.ts';

const NOW = 1_795_300_000;
const HOUR = 3600;
const DAY = 24 * HOUR;

function pool(overrides: Partial<ProviderStatus> = {}): ProviderStatus {
  return {
    five_hour_utilization: 23.4,
    five_hour_reset: NOW + 2 * HOUR + 41 * 60,
    weekly_utilization: 41.6,
    weekly_reset: NOW + 5 * DAY + 3 * HOUR,
    plan_weight: 20,
    state: 'usable',
    retry_at: 0,
    ...overrides,
  };
}

const SESSION: SessionAssignment = { id: 's', credential: 'work', peer: null };

describe('renderStatusline', () => {
  it.each([
    {
      name: 'pool, resets and account',
      view: { pool: pool(), session: SESSION },
      line: 'pool 5h 23% resets 2h41m · week 42% resets 5d03h · account work',
    },
    {
      name: 'no session: no account',
      view: { pool: pool(), session: undefined },
      line: 'pool 5h 23% resets 2h41m · week 42% resets 5d03h',
    },
    {
      name: 'a session nothing bound yet',
      view: { pool: pool(), session: { ...SESSION, credential: null } },
      line: 'pool 5h 23% resets 2h41m · week 42% resets 5d03h',
    },
    {
      name: 'another node’s capacity',
      view: { pool: pool(), session: { ...SESSION, credential: 'hub-claude', peer: 'hub' } },
      line: 'pool 5h 23% resets 2h41m · week 42% resets 5d03h · account hub-claude (peer hub)',
    },
    {
      name: 'unknown resets are left out',
      view: { pool: pool({ five_hour_reset: 0, weekly_reset: 0 }), session: undefined },
      line: 'pool 5h 23% · week 42%',
    },
    {
      name: 'a reset that passed since the answer reads as a fresh window',
      view: { pool: pool({ five_hour_reset: NOW - 1 }), session: undefined },
      line: 'pool 5h 0% · week 42% resets 5d03h',
    },
    {
      name: 'an exhausted pool says when it is back',
      view: { pool: pool({ state: 'rate_limited', retry_at: NOW + 42 * 60 }), session: SESSION },
      line: 'pool exhausted, back in 42m · account work',
    },
    {
      name: 'an exhausted pool without a known return',
      view: { pool: pool({ state: 'rate_limited', retry_at: 0 }), session: undefined },
      line: 'pool exhausted',
    },
    { name: 'an unavailable pool', view: { pool: pool({ state: 'unavailable' }), session: undefined }, line: 'pool unavailable' },
    {
      name: 'garbage numbers are read as used up, not printed',
      view: { pool: pool({ five_hour_utilization: Number.NaN, weekly_utilization: 250 }), session: undefined },
      line: 'pool 5h 100% resets 2h41m · week 100% resets 5d03h',
    },
    {
      name: 'escape codes in a name are neutralised',
      view: { pool: pool(), session: { ...SESSION, credential: 'x\x1b[2Jy' } },
      line: 'pool 5h 23% resets 2h41m · week 42% resets 5d03h · account x?[2Jy',
    },
  ])('$name', ({ view, line }) => {
    expect(renderStatusline(view, NOW, false)).toBe(line);
  });

  it('colours use by how close it is to the cap, with SGR only', () => {
    const line = renderStatusline({ pool: pool({ five_hour_utilization: 95, weekly_utilization: 72 }), session: undefined }, NOW, true);
    expect(line).toContain('\x1b[31m95%\x1b[0m');
    expect(line).toContain('\x1b[33m72%\x1b[0m');
    expect(line.replace(/\x1b\[[\d;]*m/g, '')).not.toContain('\x1b');
  });

  it('offline is short and dim', () => {
    expect(renderOffline(true)).toBe('\x1b[2mquotamesh: offline\x1b[0m');
    expect(renderOffline(false)).toBe('quotamesh: offline');
  });
});
