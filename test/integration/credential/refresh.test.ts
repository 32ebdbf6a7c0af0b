import { chmod, mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { acquireFileLock, CredentialUnavailableError } from '../../../src/pool/index.ts';
import { bearer, cleanup, credentialText, readJson, startHarness } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

afterEach(cleanup);

const expired = (clock: ManualClock): { accounts: [{ id: string; expiresAt: number }]; clock: ManualClock } => ({
  clock,
  accounts: [{ id: 'alice', expiresAt: clock.now() - 1000 }],
});

describe('OAuth refresh', () => {
  it('refreshes once for a burst of 50 requests and keeps unknown keys', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness(expired(clock));
    const targets = await Promise.all(Array.from({ length: 50 }, () => credential.target()));

    const account = sim.account('alice');
    expect(account.counters.refreshes).toBe(1);
    expect(account.counters.refreshAttempts).toBe(1);
    expect(new Set(targets.map((target) => bearer(target.headers)))).toEqual(new Set([account.accessToken]));
    const file = await readJson(path);
    expect(file['someOtherTool']).toEqual({ keep: true });
    expect(file['claudeAiOauth']).toMatchObject({
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      expiresAt: account.expiresAt,
      futureField: 'keep me',
      isMax: true,
      subscriptionType: 'max',
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('sends the token request Claude Code sends', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness(expired(clock));
    await credential.target();
    const request = sim.received.find((received) => received.path === '/v1/oauth/token');
    expect(request?.headers['user-agent']).toBe('axios/1.15.2');
    expect(request?.headers['accept']).toBe('application/json, text/plain, */*');
    expect(request?.headers['content-type']).toBe('application/json');
    // Node's fetch adds these on its own; axios (and so Claude Code) never sends them.
    expect(request?.headers['accept-language']).toBeUndefined();
    expect(request?.headers['sec-fetch-mode']).toBeUndefined();
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
      grant_type: 'refresh_token',
      client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      scope: 'user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload',
    });
  });

  it('keeps the old refresh token when the response omits one', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness(expired(clock));
    const oldRefresh = sim.account('alice').refreshToken;
    sim.script({ endpoint: 'token', fault: { type: 'omit_refresh_token' } });
    await credential.target();
    expect((await readJson(path))['claudeAiOauth']).toMatchObject({
      refreshToken: oldRefresh,
      accessToken: sim.account('alice').accessToken,
    });
  });

  it('does not refresh a token with more than 5 minutes left, and refreshes one with less', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({ clock, accounts: [{ id: 'alice', expiresAt: clock.now() + 6 * 60_000 }] });
    await credential.target();
    expect(sim.account('alice').counters.refreshAttempts).toBe(0);
    clock.advance(2 * 60_000);
    await credential.target();
    expect(sim.account('alice').counters.refreshes).toBe(1);
  });

  it('absorbs a refresh another process made while it waited for the lock', async () => {
    const clock = new ManualClock();
    let busyWaits = 0;
    const lockOptions = { attempts: 1000, retryDelayMs: () => (busyWaits += 1) && 10 };
    const { sim, path, lockDir, credential } = await startHarness({ ...expired(clock), credential: { lockOptions } });
    const other = await acquireFileLock(lockDir.replace(/\.lock$/, ''));
    let isSettled = false;
    const pending = credential.target().finally(() => (isSettled = true));
    await waitFor(() => busyWaits > 1, 'the credential to retry the busy lock');
    // The other process refreshes and writes the file, then lets go of the lock.
    const response = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: sim.account('alice').refreshToken,
        client_id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      }),
    });
    expect(response.status).toBe(200);
    await writeFile(path, credentialText(sim.account('alice')));
    // Still waiting: it neither refreshed past the lock nor gave up while the lock was held.
    expect(isSettled).toBe(false);
    await other.release();

    const target = await pending;
    expect(bearer(target.headers)).toBe(sim.account('alice').accessToken);
    expect(sim.account('alice').counters.refreshAttempts).toBe(1);
  });

  it('refuses to refresh when the file cannot be written, and says why', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness(expired(clock));
    await chmod(path, 0o400);
    const failure = await credential.target().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CredentialUnavailableError);
    expect(String((failure as Error).message)).toMatch(/read-only.*not refreshing/);
    expect(sim.account('alice').counters.refreshAttempts).toBe(0);
    expect(credential.snapshot(clock.now()).state).toBe('unavailable');
    expect(credential.isUsable(clock.now())).toBe(false);
  });

  it('honours the token endpoint Retry-After instead of hammering it', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness(expired(clock));
    sim.script({ endpoint: 'token', fault: { type: 'rate_limit', retryAfterSeconds: 120 } });
    await expect(credential.target()).rejects.toThrow(/rate-limited until/);
    clock.advance(60_000);
    await expect(credential.target()).rejects.toThrow(/rate-limited/);
    expect(sim.account('alice').counters.refreshAttempts).toBe(1);
    expect(credential.persistentState().refreshRetryAtMs).toBeGreaterThan(clock.now());

    clock.advance(61_000);
    await credential.target();
    expect(sim.account('alice').counters).toMatchObject({ refreshAttempts: 2, refreshes: 1 });
  });

  it('caps an absurd token-endpoint Retry-After at an hour', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness(expired(clock));
    sim.script({ endpoint: 'token', fault: { type: 'rate_limit', retryAfterSeconds: 18 * 86_400 } });
    await expect(credential.target()).rejects.toThrow(/rate-limited/);
    expect(credential.persistentState().refreshRetryAtMs).toBe(clock.now() + 3_600_000);
  });

  it('marks a rejected refresh token unavailable until the user logs in again', async () => {
    const clock = new ManualClock();
    const { sim, path, credential } = await startHarness({
      clock,
      accounts: [{ id: 'alice', expiresAt: clock.now() - 1000 }, { id: 'bob' }],
    });
    sim.revokeToken('alice');
    await expect(credential.target()).rejects.toThrow(/invalid_grant.*log in again/);
    expect(credential.snapshot(clock.now()).state).toBe('unavailable');
    expect(credential.reason(clock.now())).toMatch(/refresh token rejected/);
    clock.advance(120_000);
    await expect(credential.target()).rejects.toThrow(/invalid_grant/);
    expect(sim.account('alice').counters.refreshAttempts).toBe(1);

    await writeFile(path, credentialText(sim.account('bob')));
    await credential.reload();
    expect(credential.isUsable(clock.now())).toBe(true);
    expect(bearer((await credential.target()).headers)).toBe(sim.account('bob').accessToken);
  });

  it('uses a setup token as it is, even past expiresAt', async () => {
    const clock = new ManualClock();
    const { sim, credential } = await startHarness({
      clock,
      accounts: [{ id: 'alice', isSetupToken: true, expiresAt: clock.now() - 1000 }],
    });
    const target = await credential.target();
    expect(bearer(target.headers)).toBe(sim.account('alice').accessToken);
    expect(sim.account('alice').counters.refreshAttempts).toBe(0);
  });

  it('breaks a stale lock left by a crashed process', async () => {
    const clock = new ManualClock();
    const { sim, lockDir, credential } = await startHarness(expired(clock));
    await mkdir(lockDir);
    const past = new Date(Date.now() - 11_000);
    await utimes(lockDir, past, past);
    await credential.target();
    expect(sim.account('alice').counters.refreshes).toBe(1);
  });
});
