import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus, ProviderStatus } from '../../../src/status/index.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { accountServing, postSessionMessage } from '../../helpers/session-message.ts';

describe('/v1/status?session=: the credential serving a session', () => {
  let harness: Harness;
  const session = randomUUID();

  async function status(query: string, token: string | null = harness.userToken): Promise<{ code: number; body: Record<string, unknown> }> {
    const response = await fetch(`${harness.node.url}/v1/status${query}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    return { code: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    harness = await startHarness({
      accounts: [
        { id: 'one', plan: 'max20x' },
        { id: 'two', plan: 'pro' },
      ],
    });
    await postSessionMessage(harness, session);
  });

  afterAll(async () => {
    await harness.close();
  });

  const accountThatServed = (): string | undefined => accountServing(harness, session);

  it('names the account the simulator saw serving that session', async () => {
    const { code, body } = await status(`?provider=claude&session=${session}`);
    expect(code).toBe(200);
    expect((body as unknown as ProviderStatus).session).toEqual({ id: session, credential: accountThatServed(), peer: null });
  });

  it('is null for a session that has not made a request, and absent without ?session', async () => {
    const unknown = randomUUID();
    expect(((await status(`?provider=claude&session=${unknown}`)).body as unknown as ProviderStatus).session).toEqual({
      id: unknown,
      credential: null,
      peer: null,
    });
    expect((await status('?provider=claude')).body).not.toHaveProperty('session');
  });

  it('also answers in the full payload and on /ccm/v1/status', async () => {
    const full = (await status(`?session=${session}`)).body as unknown as NodeStatus;
    expect(full.providers.claude?.session?.credential).toBe(accountThatServed());
    const response = await fetch(`${harness.node.url}/ccm/v1/status?session=${session}`, {
      headers: { authorization: `Bearer ${harness.userToken}` },
    });
    expect(((await response.json()) as ProviderStatus).session?.credential).toBe(accountThatServed());
  });

  it.each([
    ['too long', `?session=${'a'.repeat(257)}`],
    ['empty', '?session='],
    ['a control character', '?session=abc%0Adef'],
    ['a space', '?session=abc%20def'],
    ['repeated', '?session=a&session=b'],
  ])('refuses a session id that is %s with 400 in the error shape', async (_name, query) => {
    const { code, body } = await status(query);
    expect(code).toBe(400);
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('takes 256 characters, and still wants a token', async () => {
    expect((await status(`?session=${'a'.repeat(256)}`)).code).toBe(200);
    expect((await status(`?session=${session}`, null)).code).toBe(401);
  });
});
