/**
 * One rule for the error shape (providerFor): the path decides, never the query. The fuzz found
 * `GET /v1/status?provider=codex` answering a stranger in Codex's shape while the server's
 * other errors on that path were Claude's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

async function answer(path: string, token = 'stranger-0123456789abcdef'): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${harness.node.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('error shape follows the path', () => {
  it.each(['/v1/status?provider=codex', '/v1/status?provider=claude', '/v1/status', '/ccm/v1/status', '/metrics'])(
    '%s refuses a stranger in Anthropic shape',
    async (path) => {
      const { status, body } = await answer(path);
      expect(status).toBe(401);
      expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    },
  );

  it('/ocm/v1/status refuses a stranger in OpenAI shape', async () => {
    const { status, body } = await answer('/ocm/v1/status');
    expect(status).toBe(401);
    expect(body.type).toBeUndefined();
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'unauthenticated' });
  });

  it("an unknown ?provider= is a 400 in the path's shape", async () => {
    const { status, body } = await answer('/v1/status?provider=gemini', harness.userToken);
    expect(status).toBe(400);
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'provider must be claude or codex' } });
  });
});
