import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { bearer, cleanup, credentialText, startHarness } from './fixture.ts';

afterEach(cleanup);

const EXPIRED_401 =
  '{"type":"error","error":{"type":"authentication_error","message":"OAuth token has expired. Please obtain a new token or refresh your existing token."}}';
const REVOKED_403 =
  '{"type":"error","error":{"type":"permission_error","message":"OAuth token has been revoked. Please obtain a new token."}}';
const SCOPE_403 =
  '{"type":"error","error":{"type":"permission_error","message":"OAuth token does not meet scope requirement user:profile"}}';

/** Time between loading the file and the failing request, so no token change counts as "recent". */
const LATER_MS = 60_000;

describe('recoverAuth', () => {
  it('prefers a different token found in the file over a refresh', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness({ clock, accounts: [{ id: 'alice' }, { id: 'bob' }] });
    await credential.target();
    clock.advance(LATER_MS);
    // The user logged in again elsewhere; our watcher has not told us yet.
    await writeFile(path, credentialText(sim.account('bob')));
    expect(await credential.recoverAuth(401, EXPIRED_401)).toBe(true);
    expect(bearer((await credential.target()).headers)).toBe(sim.account('bob').accessToken);
    expect(sim.account('alice').counters.refreshAttempts + sim.account('bob').counters.refreshAttempts).toBe(0);
  });

  it('forces a refresh when the file holds the same token', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    const before = bearer((await credential.target()).headers);
    clock.advance(LATER_MS);
    expect(await credential.recoverAuth(401, EXPIRED_401)).toBe(true);
    const after = bearer((await credential.target()).headers);
    expect(after).not.toBe(before);
    expect(after).toBe(sim.account('alice').accessToken);
    expect(sim.account('alice').counters.refreshes).toBe(1);
  });

  it('refreshes on a 401 right after start (loading the file is no token swap)', async () => {
    const { sim, credential } = await startHarness({ clock: new ManualClock() });
    expect(await credential.recoverAuth(401, EXPIRED_401)).toBe(true);
    expect(sim.account('alice').counters.refreshes).toBe(1);
  });

  it('recovers from a revoked-token 403', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    clock.advance(LATER_MS);
    expect(await credential.recoverAuth(403, REVOKED_403)).toBe(true);
    expect(sim.account('alice').counters.refreshes).toBe(1);
  });

  it('does nothing for an ordinary 403', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    clock.advance(LATER_MS);
    expect(await credential.recoverAuth(403, SCOPE_403)).toBe(false);
    expect(sim.account('alice').counters.refreshAttempts).toBe(0);
  });

  it('answers concurrent 401s with one refresh', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock });
    clock.advance(LATER_MS);
    const results = await Promise.all(Array.from({ length: 10 }, () => credential.recoverAuth(401, EXPIRED_401)));
    expect(results).toEqual(Array.from({ length: 10 }, () => true));
    // Stragglers whose 401 arrives right after the swap are told to retry, not refreshed again.
    expect(await credential.recoverAuth(401, EXPIRED_401)).toBe(true);
    expect(sim.account('alice').counters.refreshAttempts).toBe(1);
  });

  it('marks a rejected setup token unavailable until the file changes', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness({ clock, accounts: [{ id: 'alice', isSetupToken: true }, { id: 'bob' }] });
    clock.advance(LATER_MS);
    expect(await credential.recoverAuth(401, EXPIRED_401)).toBe(false);
    expect(credential.reason(clock.now())).toMatch(/cannot be refreshed/);
    expect(credential.snapshot(clock.now()).state).toBe('unavailable');
    await writeFile(path, credentialText(sim.account('bob')));
    await credential.reload();
    expect(credential.isUsable(clock.now())).toBe(true);
  });
});
