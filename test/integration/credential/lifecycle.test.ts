import { rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../src/lib/index.ts';
import { ClaudeDefaultCredential } from '../../../src/providers/index.ts';
import { bearer, cleanup, credentialOptions, credentialText, startHarness } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

afterEach(cleanup);

describe('credential file lifecycle', () => {
  it('becomes unavailable when the file is deleted and usable when it comes back', async () => {
    const { sim, path, credential } = await startHarness({ clock: systemClock });
    expect(credential.isUsable(systemClock.now())).toBe(true);
    await rm(path);
    await waitFor(
      () => credential.snapshot(systemClock.now()).state === 'unavailable',
      'the removed file to make the credential unavailable',
    );
    expect(credential.reason(systemClock.now())).toMatch(/does not exist/);
    await expect(credential.target()).rejects.toThrow(/does not exist/);

    await writeFile(path, credentialText(sim.account('alice')), { mode: 0o600 });
    await waitFor(() => credential.isUsable(systemClock.now()), 'the credential to become usable from the new file');
    expect(bearer((await credential.target()).headers)).toBe(sim.account('alice').accessToken);
  });

  it('starts without a file and picks it up when it appears', async () => {
    const { sim, path, credential } = await startHarness({ clock: systemClock, writeFile: false });
    expect(credential.snapshot(systemClock.now()).state).toBe('unavailable');
    await writeFile(path, credentialText(sim.account('alice')), { mode: 0o600 });
    await waitFor(() => credential.isUsable(systemClock.now()), 'the credential to become usable from the new file');
  });

  it('reports a broken file as unavailable with the reason', async () => {
    const { path, credential } = await startHarness({ clock: systemClock });
    await writeFile(path, '{"claudeAiOauth": ');
    await waitFor(() => !credential.isUsable(systemClock.now()), 'the broken file to make the credential unusable');
    expect(credential.reason(systemClock.now())).toMatch(/invalid: not valid JSON/);
  });
});

describe('persistent state', () => {
  it('round-trips a known cooldown and the last usage windows through JSON', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness({ clock });
    const resetSeconds = Math.floor(clock.now() / 1000) + 3 * 3600;
    credential.observe(
      {
        status: 429,
        headers: {
          'anthropic-ratelimit-unified-status': 'rejected',
          'anthropic-ratelimit-unified-representative-claim': 'five_hour',
          'anthropic-ratelimit-unified-5h-utilization': '1.0',
          'anthropic-ratelimit-unified-5h-reset': String(resetSeconds),
          'anthropic-ratelimit-unified-7d-utilization': '0.25',
          'anthropic-ratelimit-unified-7d-reset': String(resetSeconds + 86_400),
        },
      },
      clock.now(),
    );
    const saved: unknown = JSON.parse(JSON.stringify(credential.persistentState()));
    expect(saved).toMatchObject({ version: 1, hasData: true, cooldown: { untilMs: resetSeconds * 1000, cause: 'rate_limit' } });

    const restarted = new ClaudeDefaultCredential(credentialOptions({ sim, path, clock }));
    try {
      restarted.restoreState(saved);
      await restarted.start();
      expect(restarted.snapshot(clock.now())).toEqual(credential.snapshot(clock.now()));
      expect(restarted.isUsable(clock.now())).toBe(false);
    } finally {
      await restarted.close();
    }
  });

  it('ignores garbage in a saved state', async () => {
    const clock = new ManualClock();
    const { credential } = await startHarness({ clock });
    const before = credential.snapshot(clock.now());
    const garbage = [
      null,
      'x',
      42,
      [],
      { version: 2 },
      { version: 1, cooldown: { untilMs: 'soon' }, fiveHour: { utilization: 900 } },
      { version: 1, cooldown: { untilMs: 1e20 } },
      { version: 1, refreshRetryAtMs: 'later' },
    ];
    for (const state of garbage) {
      credential.restoreState(state);
    }
    expect(credential.snapshot(clock.now())).toEqual(before);
    expect(credential.isUsable(clock.now())).toBe(true);
  });

  it('remembers a token-endpoint block across a restart', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness({ clock, accounts: [{ id: 'alice', expiresAt: clock.now() - 1000 }] });
    sim.script({ endpoint: 'token', fault: { type: 'rate_limit', retryAfterSeconds: 600 } });
    await expect(credential.target()).rejects.toThrow(/rate-limited/);
    const saved = credential.persistentState();

    const restarted = new ClaudeDefaultCredential(credentialOptions({ sim, path, clock }));
    try {
      restarted.restoreState(saved);
      await restarted.start();
      await expect(restarted.target()).rejects.toThrow(/rate-limited/);
      expect(sim.account('alice').counters.refreshAttempts).toBe(1);
    } finally {
      await restarted.close();
    }
  });
});
