/**
 * The Codex backend's own 400s (`store` must be false, `stream` true, `instructions` present),
 * in FastAPI's `{"detail": ...}` shape, behind the `/_sim/codex/strict` switch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { codexAuthHeaders, postResponses, responsesBody } from './codex-fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function strict(enabled: boolean): Promise<Response> {
  return fetch(`${sim?.url}/_sim/codex/strict`, { method: 'POST', body: JSON.stringify({ enabled }) });
}

const CODEX_CLI_BODY = { store: false, stream: true, instructions: 'You are Codex.' };

describe('Codex backend request checks', () => {
  it.each([
    { name: 'store missing', body: { stream: true, instructions: 'x' }, detail: 'Store must be set to false' },
    { name: 'store true', body: { ...CODEX_CLI_BODY, store: true }, detail: 'Store must be set to false' },
    { name: 'stream false', body: { ...CODEX_CLI_BODY, stream: false }, detail: 'Stream must be set to true' },
    { name: 'stream missing', body: { store: false, instructions: 'x' }, detail: 'Stream must be set to true' },
    { name: 'instructions missing', body: { store: false, stream: true }, detail: 'Instructions are required' },
  ])('answers 400 {"detail"} when $name', async ({ body, detail }) => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    expect((await strict(true)).status).toBe(200);
    const response = await postResponses(
      sim,
      codexAuthHeaders(sim.codexAccount('c')),
      JSON.stringify({ model: 'gpt-5-codex', input: 'hi', ...body }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail });
  });

  it('serves what Codex CLI sends, and everything once the switch is off again', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }], chunkDelayMs: 1 });
    await strict(true);
    const headers = codexAuthHeaders(sim.codexAccount('c'));
    expect((await postResponses(sim, headers, responsesBody(CODEX_CLI_BODY))).status).toBe(200);
    expect((await postResponses(sim, headers, responsesBody({ store: true }))).status).toBe(400);
    await strict(false);
    expect((await postResponses(sim, headers, responsesBody({ store: true }))).status).toBe(200);
  });

  it('refuses a malformed switch body', async () => {
    sim = await startSimulator({ accounts: 0, codexAccounts: [{ id: 'c' }] });
    const response = await fetch(`${sim.url}/_sim/codex/strict`, { method: 'POST', body: '{"enabled":"yes"}' });
    expect(response.status).toBe(400);
  });
});
