import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CodexDefaultCredential } from '../../../src/providers/index.ts';
import { authText, cleanup, silentLogger, START_MS, startCodexHarness } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

afterEach(cleanup);

describe('Codex credential lifecycle', () => {
  it('is unavailable while auth.json is missing and usable once it appears', async () => {
    const { sim, clock, path, credential } = await startCodexHarness({ writeFile: false });
    expect(credential.snapshot(clock.now()).state).toBe('unavailable');
    expect(credential.reason(clock.now())).toContain('does not exist');
    let changes = 0;
    credential.onChange(() => {
      changes += 1;
    });
    const account = sim.codexAccounts[0];
    if (account === undefined) throw new Error('no account');
    await writeFile(path, authText(account), { mode: 0o600 });
    await waitFor(() => credential.isUsable(clock.now()), 'the credential to become usable from the new file');
    expect(changes).toBeGreaterThan(0);
    const target = await credential.target();
    expect(target.headers['authorization']).toBe(`Bearer ${account.accessToken}`);
  });

  it('becomes unavailable when auth.json turns into garbage', async () => {
    const { clock, path, credential } = await startCodexHarness();
    await writeFile(path, '{ not json');
    await waitFor(() => credential.snapshot(clock.now()).state === 'unavailable', 'the broken file to make the credential unavailable');
    expect(credential.reason(clock.now())).toContain('invalid');
  });

  it('carries a cooldown across a restart through persistentState/restoreState', async () => {
    const { sim, clock, path, credential } = await startCodexHarness();
    const resetAt = Math.floor(START_MS / 1000) + 600;
    credential.observe(
      { status: 429, headers: {}, body: JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: resetAt } }) },
      clock.now(),
    );
    const saved = JSON.parse(JSON.stringify(credential.persistentState())) as unknown;
    const restarted = new CodexDefaultCredential({
      tag: 'cx',
      path,
      apiUrl: sim.codexApiUrl,
      cap5h: 99,
      capWeekly: 99,
      clock,
      logger: silentLogger,
      pollUsage: false,
    });
    try {
      restarted.restoreState(saved);
      await restarted.start();
      expect(restarted.snapshot(clock.now())).toMatchObject({ state: 'rate_limited', retryAt: resetAt });
      restarted.restoreState('garbage');
      restarted.restoreState({ version: 99 });
      expect(restarted.snapshot(clock.now()).state).toBe('rate_limited');
    } finally {
      await restarted.close();
    }
  });
});
