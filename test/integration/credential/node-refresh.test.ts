/**
 * The refresh seen from a client of the node: a burst on an expired token costs one token call,
 * every request succeeds, and the rewritten file keeps what Claude Code and others stored in it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { credentialText } from './fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

function postThroughNode(node: Harness): Promise<Response> {
  return fetch(`${node.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.userToken}`, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('refresh through the node', () => {
  it('serves a burst of 50 requests on an expired token with exactly one refresh', async () => {
    harness = await startHarness({ accounts: [{ id: 'a', expiresAt: Date.now() - 1000 }], withoutFiles: ['a'] });
    const current = harness;
    await mkdir(dirname(current.credentialPath('a')), { recursive: true });
    await writeFile(current.credentialPath('a'), credentialText(current.sim.account('a')), { mode: 0o600 });
    await waitFor(async () => {
      const status = (await (
        await fetch(`${current.node.url}/v1/status`, { headers: { authorization: `Bearer ${current.userToken}` } })
      ).json()) as {
        providers: { claude?: { state: string } };
      };
      return status.providers.claude?.state === 'usable';
    }, 'the node to pick up the written credential');

    const responses = await Promise.all(Array.from({ length: 50 }, () => postThroughNode(current)));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 50 }, () => 200));
    await Promise.all(responses.map((response) => response.arrayBuffer()));

    const account = current.sim.account('a');
    expect(account.counters.refreshAttempts).toBe(1);
    const file = JSON.parse(await readFile(current.credentialPath('a'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(file['someOtherTool']).toEqual({ keep: true });
    expect(file['claudeAiOauth']).toMatchObject({
      accessToken: account.accessToken,
      refreshToken: account.refreshToken,
      futureField: 'keep me',
    });
    expect(current.logs.join('')).not.toContain(account.refreshToken);
    expect(current.logs.join('')).not.toContain(account.accessToken);
  });
});
