import { chmod, stat, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialUnavailableError } from '../../../src/pool/index.ts';
import { authText, cleanup, readAuth, START_MS, startCodexHarness } from './fixture.ts';

/** What Codex CLI does on its own: spend the refresh token and write the result to auth.json. */
async function refreshAsCodexCli(tokenUrl: string, refreshToken: string): Promise<void> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'app_EMoamEEZ73f0CkXaXp7hrann', grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  if (response.status !== 200) throw new Error(`refresh as Codex CLI answered ${response.status}`);
}

const DAY_MS = 24 * 3600 * 1000;

afterEach(cleanup);

describe('Codex auth.json refresh', () => {
  it('refreshes an expired token exactly once for a burst of concurrent requests', async () => {
    const { sim, credential } = await startCodexHarness({ accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }] });
    const targets = await Promise.all(Array.from({ length: 20 }, () => credential.target()));
    const account = sim.codexAccount('alice');
    expect(account.counters.refreshes).toBe(1);
    expect(account.counters.refreshAttempts).toBe(1);
    expect(new Set(targets.map((target) => target.headers['authorization']))).toEqual(new Set([`Bearer ${account.accessToken}`]));
    expect(targets[0]?.headers['chatgpt-account-id']).toBe(account.accountId);
  });

  it('saves the new tokens atomically with last_refresh = now, keeping every unknown key', async () => {
    const { sim, clock, path, directory, credential } = await startCodexHarness({
      accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }],
    });
    const before = await readAuth(path);
    await credential.target();
    const account = sim.codexAccount('alice');
    const after = await readAuth(path);
    expect(after).toEqual({
      ...before,
      tokens: { ...before.tokens, access_token: account.accessToken, refresh_token: account.refreshToken, id_token: account.idToken },
      last_refresh: new Date(clock.now()).toISOString(),
    });
    expect(after['future_top_level']).toEqual({ keep: true });
    expect(after.tokens['future_token_key']).toBe('keep me');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(stat(`${path}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${directory}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("refreshes at the access token's exp, not because last_refresh is over 8 days old", async () => {
    const { sim, clock, credential } = await startCodexHarness({
      accounts: [{ id: 'alice', expiresAt: START_MS + 3600_000, lastRefreshAtMs: START_MS - 9 * DAY_MS }],
    });
    await credential.target();
    expect(sim.codexAccount('alice').counters.refreshes).toBe(0);
    clock.advance(3600_000);
    await credential.target();
    expect(sim.codexAccount('alice').counters.refreshes).toBe(1);
  });

  it('keeps the old refresh token when the endpoint omits it', async () => {
    const { sim, path, credential } = await startCodexHarness({ accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }] });
    const oldRefresh = sim.codexAccount('alice').refreshToken;
    sim.script({ endpoint: 'codex_token', fault: { type: 'omit_refresh_token' } });
    await credential.target();
    const saved = await readAuth(path);
    expect(saved.tokens['refresh_token']).toBe(oldRefresh);
    expect(saved.tokens['access_token']).toBe(sim.codexAccount('alice').accessToken);
  });

  it('does not refresh what it could not save', async () => {
    const { sim, path, credential } = await startCodexHarness({ accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }] });
    await chmod(path, 0o400);
    await expect(credential.target()).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(sim.codexAccount('alice').counters.refreshAttempts).toBe(0);
    expect(credential.reason(START_MS)).toMatch(/read-only|not writable/);
  });

  it('becomes unavailable with a login hint when the refresh token is dead', async () => {
    const { sim, clock, credential } = await startCodexHarness({ accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }] });
    sim.revokeCodexToken('alice');
    await expect(credential.target()).rejects.toThrow(/codex login/);
    expect(credential.snapshot(clock.now()).state).toBe('unavailable');
  });

  it('adopts a refresh Codex CLI already wrote instead of spending the rotated token again', async () => {
    const { sim, path, credential } = await startCodexHarness({ accounts: [{ id: 'alice', expiresAt: START_MS - 1000 }] });
    await refreshAsCodexCli(sim.codexTokenUrl, sim.codexAccount('alice').refreshToken);
    await writeFile(path, authText(sim.codexAccount('alice')), { mode: 0o600 });
    const target = await credential.target();
    const account = sim.codexAccount('alice');
    expect(target.headers['authorization']).toBe(`Bearer ${account.accessToken}`);
    expect(account.counters.refreshAttempts).toBe(1);
  });

  it('answers a 401 with the token Codex CLI put in the file, without a refresh of its own', async () => {
    const { sim, path, credential } = await startCodexHarness();
    const stale = (await credential.target()).headers['authorization'];
    await refreshAsCodexCli(sim.codexTokenUrl, sim.codexAccount('alice').refreshToken);
    await writeFile(path, authText(sim.codexAccount('alice')), { mode: 0o600 });
    expect(await credential.recoverAuth(401)).toBe(true);
    const fresh = (await credential.target()).headers['authorization'];
    expect(fresh).not.toBe(stale);
    expect(fresh).toBe(`Bearer ${sim.codexAccount('alice').accessToken}`);
    expect(sim.codexAccount('alice').counters.refreshAttempts).toBe(1);
  });
});
