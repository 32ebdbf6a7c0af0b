/**
 * Credential file faults on a running node. test/integration/credential/ covers the credential
 * object alone (deleted, broken, file-only read-only); here the node is the subject: the admin
 * row says unavailable and why, requests fail over or get a clear 503, nothing crashes, a
 * read-only file and directory stop a refresh before any token request, and a restored file is
 * used again.
 */
import { chmod, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAUDE_CODE_CLIENT_ID, claudeCredentialFile } from '../../../src/sim/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { logLines } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

interface AdminRow {
  tag: string;
  state: string;
  reason?: string;
}

async function send(harness: Harness): Promise<{ status: number; body: any }> {
  const response = await fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
    body: MESSAGE,
  });
  return { status: response.status, body: await response.json() };
}

async function adminRow(harness: Harness, tag: string): Promise<AdminRow | undefined> {
  const response = await fetch(`${harness.node.url}/v1/status`, { headers: { authorization: `Bearer ${harness.adminToken}` } });
  const status = (await response.json()) as { providers: { claude: { credentials: AdminRow[] } } };
  return status.providers.claude.credentials.find((row) => row.tag === tag);
}

async function rowWhen(harness: Harness, tag: string, state: string): Promise<AdminRow> {
  return waitFor(async () => {
    const row = await adminRow(harness, tag);
    return row?.state === state ? row : undefined;
  }, `${tag} to be ${state}`);
}

describe('credential file faults on a running node', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    if (harness !== undefined) await chmod(dirname(harness.credentialPath('a')), 0o700).catch(() => undefined);
    await harness?.close();
    harness = undefined;
  });

  it('fails over from a deleted file, says why, and uses the file again once it is back', async () => {
    harness = await startHarness({ accounts: [{ id: 'a' }, { id: 'b' }], chunkDelayMs: 0 });
    await rm(harness.credentialPath('a'));
    const row = await rowWhen(harness, 'a', 'unavailable');
    expect(row.reason).toMatch(/does not exist/);
    const served = { a: harness.sim.account('a').counters.messages, b: harness.sim.account('b').counters.messages };
    for (let index = 0; index < 6; index += 1) expect((await send(harness)).status).toBe(200);
    expect(harness.sim.account('a').counters.messages).toBe(served.a);
    expect(harness.sim.account('b').counters.messages).toBe(served.b + 6);
    expect(logLines(harness.logs, 'credential unavailable').some((line) => /does not exist/.test(String(line.reason)))).toBe(true);

    await harness.writeCredential('a');
    expect((await rowWhen(harness, 'a', 'usable')).reason).toBeUndefined();
  });

  it('answers a clear 503 while its only file is garbage, and serves again once it is fixed', async () => {
    harness = await startHarness({ chunkDelayMs: 0 });
    await writeFile(harness.credentialPath('a'), '{"claudeAiOauth": {"accessToken": tru');
    expect((await rowWhen(harness, 'a', 'unavailable')).reason).toMatch(/not valid JSON/);
    const refused = await send(harness);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(refused.body.error.message).toMatch(/no usable credential \(a: unavailable/);

    await harness.writeCredential('a');
    await rowWhen(harness, 'a', 'usable');
    expect((await send(harness)).status).toBe(200);
  });

  it('makes no refresh call for an expired token whose file and directory are read-only', async () => {
    harness = await startHarness({ chunkDelayMs: 0 });
    const { sim } = harness;
    const path = harness.credentialPath('a');
    const expired = claudeCredentialFile(sim.account('a'));
    expired.claudeAiOauth.expiresAt = Date.now() - 60_000;
    await writeFile(path, JSON.stringify(expired));
    // Also the directory: a refresh writes a temp file there and renames it over the original.
    // 0500, not 0400, so a non-root run can still read the file and this stays about writing.
    await chmod(path, 0o400);
    await chmod(dirname(path), 0o500);

    const refused = await waitFor(async () => {
      const reply = await send(harness!);
      return reply.status === 503 ? reply : undefined;
    }, 'a 503 once the credential directory is read-only');
    expect(refused.body.error.message).toMatch(/no usable credential/);
    const row = await rowWhen(harness, 'a', 'unavailable');
    expect(row.reason).toMatch(/read-only|not writable/);
    expect(row.reason).toMatch(/not refreshing/);
    expect(sim.account('a').counters.refreshAttempts).toBe(0);
    expect(sim.account('a').counters.refreshes).toBe(0);

    // Claude Code on this machine refreshes (new tokens) and the file is writable again: the node
    // takes the new login from the file at once, and still makes no token request of its own.
    const refreshed = await fetch(sim.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: expired.claudeAiOauth.refreshToken,
        client_id: CLAUDE_CODE_CLIENT_ID,
      }),
    });
    expect(refreshed.status).toBe(200);
    await chmod(dirname(path), 0o700);
    await chmod(path, 0o600);
    await harness.writeCredential('a');
    expect((await rowWhen(harness, 'a', 'usable')).reason).toBeUndefined();
    expect((await send(harness)).status).toBe(200);
    expect(sim.account('a').counters.refreshAttempts).toBe(1);
  });
});
