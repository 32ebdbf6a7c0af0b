import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { MODEL, messageBody, oauthHeaders, postMessages, sdkFor } from './fixture.ts';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function expectAuthError(response: Response, message: string | RegExp): Promise<void> {
  expect(response.status).toBe(401);
  const body = (await response.json()) as { type: string; error: { type: string; message: string }; request_id: string };
  expect(body.type).toBe('error');
  expect(body.error.type).toBe('authentication_error');
  expect(body.error.message).toMatch(message);
  expect(body.request_id).toBe(response.headers.get('request-id'));
}

describe('authentication on /v1/messages', () => {
  it('rejects an unknown token with 401 in Anthropic shape', async () => {
    sim = await startSimulator();
    await expectAuthError(await postMessages(sim, 'sk-ant-oat01-unknown'), 'Invalid authentication credentials');
    expect(sim.accounts[0]?.counters.messages).toBe(0);
  });

  it('rejects a Bearer token without the oauth beta flag', async () => {
    sim = await startSimulator();
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.accounts[0]?.accessToken ?? ''}`, 'content-type': 'application/json' },
      body: messageBody(),
    });
    await expectAuthError(response, /OAuth authentication is currently not supported/);
  });

  it('rejects a request without credentials', async () => {
    sim = await startSimulator();
    const response = await fetch(`${sim.url}/v1/messages`, { method: 'POST', body: messageBody() });
    await expectAuthError(response, /x-api-key header is required/);
  });

  it('rejects an account that starts with an expired token', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, accounts: [{ id: 'stale', expiresAt: clock.now() - 1000 }] });
    await expectAuthError(
      await postMessages(sim, sim.account('stale').accessToken),
      /^OAuth token has expired\. Please obtain a new token or refresh your existing token\.$/,
    );
  });

  it('expires tokens when the clock passes expiresAt', async () => {
    const clock = new ManualClock();
    sim = await startSimulator({ clock, tokenLifetimeMs: 60_000 });
    const token = sim.accounts[0]?.accessToken ?? '';
    expect((await postMessages(sim, token)).status).toBe(200);
    clock.advance(60_000);
    await expectAuthError(await postMessages(sim, token), /expired/);
  });

  it('expireToken and revokeToken take effect at once', async () => {
    sim = await startSimulator({ accounts: [{ id: 'a' }, { id: 'b' }] });
    sim.expireToken('a');
    sim.revokeToken('b');
    await expectAuthError(await postMessages(sim, sim.account('a').accessToken), /expired/);
    await expectAuthError(await postMessages(sim, sim.account('b').accessToken), /revoked/);
  });

  it('surfaces as AuthenticationError in the SDK', async () => {
    sim = await startSimulator({ accounts: [{ expiresAt: 0 }] });
    const account = sim.accounts[0];
    if (account === undefined) throw new Error('no account');
    const request = sdkFor(sim, account).messages.create({ model: MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    await expect(request).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('authenticates before it validates the body', async () => {
    sim = await startSimulator();
    const response = await fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: oauthHeaders('nope'), body: '{' });
    expect(response.status).toBe(401);
  });
});
