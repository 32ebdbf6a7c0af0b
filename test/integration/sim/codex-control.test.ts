import { readFile, stat } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimCommand, startSimulator, type CodexAuthFile, type SimStateSnapshot, type Simulator } from '../../../src/sim/index.ts';
import { codexAuthHeaders, connectCodex, postResponses, refusedHandshake, WEBSOCKET_BETA } from './codex-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let sim: Simulator | undefined;
let stopCommand: AbortController | undefined;
afterEach(async () => {
  stopCommand?.abort();
  stopCommand = undefined;
  await sim?.close();
  sim = undefined;
});

function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${(sim as Simulator).url}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('/_sim/ control API for Codex', () => {
  it('scripts Codex faults over HTTP', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const queued = await control('POST', 'script', [
      { endpoint: 'codex_responses', account: 'c', fault: { type: 'rate_limit' } },
      { endpoint: 'codex_handshake', fault: { type: 'rate_limit' } },
    ]);
    expect(await queued.json()).toMatchObject({ queued: 2 });
    const headers = codexAuthHeaders(sim.codexAccount('c'));
    expect((await postResponses(sim, headers)).status).toBe(429);
    expect((await refusedHandshake(sim, { ...headers, 'openai-beta': WEBSOCKET_BETA })).status).toBe(429);
    expect(sim.state().pendingFaults).toEqual([]);
  });

  it('rejects faults an endpoint does not take', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: 1 });
    const response = await control('POST', 'script', { endpoint: 'codex_usage', fault: { type: 'stall' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/fault.type for codex_usage/) });
  });

  it('lists Codex accounts and open WebSockets in /_sim/state', async () => {
    sim = await startSimulator({ accounts: 1, codexAccounts: [{ id: 'c', plan: 'prolite' }] });
    const client = await connectCodex(sim, codexAuthHeaders(sim.codexAccount('c')));
    await waitFor(() => sim?.state().openWebSockets === 1, 'the simulator to count the WebSocket');
    const state = (await (await control('GET', 'state')).json()) as SimStateSnapshot;
    expect(state.accounts).toHaveLength(1);
    expect(state.codexAccounts[0]).toMatchObject({ id: 'c', plan: 'prolite', counters: { websocketConnections: 1 } });
    expect(state.openWebSockets).toBe(1);
    client.socket.terminate();
  });

  it('sets usage, expires and revokes Codex accounts', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'a' }, { id: 'b' }] });
    const updated = await control('POST', 'codex-accounts/a/usage', { weeklyUtilization: 100 });
    expect(await updated.json()).toMatchObject({ id: 'a', weeklyUtilization: 100 });
    expect((await postResponses(sim, codexAuthHeaders(sim.codexAccount('a')))).status).toBe(429);

    await control('POST', 'codex-accounts/b/expire');
    const expired = await postResponses(sim, codexAuthHeaders(sim.codexAccount('b')));
    expect(await expired.json()).toMatchObject({ error: { code: 'token_expired' } });
    await control('POST', 'codex-accounts/b/revoke');
    expect(sim.codexAccount('b').isRevoked).toBe(true);
    expect((await control('POST', 'codex-accounts/nobody/expire')).status).toBe(400);
  });
});

describe('runSimCommand with Codex accounts', () => {
  it('writes one auth.json per Codex account, mode 0600, matching the live tokens', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    stopCommand = stop;
    const running = runSimCommand({ accounts: 1, codexAccounts: 2 }, { print: (line) => lines.push(line), signal: stop.signal });
    await waitFor(() => lines.some((line) => line.startsWith('Press Ctrl-C')), "the sim command's 'Press Ctrl-C' line");
    const files = lines.map((line) => /^ {2}codex-\d \(\w+\): (.+auth\.json)$/.exec(line)?.[1]).filter((file) => file !== undefined);
    expect(files).toHaveLength(2);
    const auth = JSON.parse(await readFile(files[0] ?? '', 'utf8')) as CodexAuthFile;
    expect((await stat(files[0] ?? '')).mode & 0o777).toBe(0o600);
    const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1];
    const state = (await (await fetch(`${url}/_sim/state`)).json()) as SimStateSnapshot;
    expect(auth.tokens.access_token).toBe(state.codexAccounts[0]?.accessToken);
    expect(auth.tokens.account_id).toBe(state.codexAccounts[0]?.accountId);
    expect(lines.some((line) => line.includes(`${url}/backend-api/codex`))).toBe(true);
    stop.abort();
    await running;
  });
});
