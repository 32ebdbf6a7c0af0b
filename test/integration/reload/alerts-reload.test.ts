/**
 * `alerts` reloads live (CONFIG.md › Reloading): a receiver added to the file of a running node
 * hears of the credentials not usable now and of every transition after; removed, it hears
 * nothing more. A real node process, a real webhook receiver, SIGHUP.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startAlertReceiver, type AlertReceiverServer } from '../../helpers/alert-receiver.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { startReloadSetup, TOKENS, type ReloadSetup } from './reload-fixture.ts';

async function stateOf(setup: ReloadSetup, tag: string): Promise<string | undefined> {
  const response = await fetch(`${setup.node.url}/v1/status`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
  const status = (await response.json()) as { providers: { claude?: { credentials?: Array<{ tag: string; state: string }> } } };
  return status.providers.claude?.credentials?.find((row) => row.tag === tag)?.state;
}

/** One 429 asking for a second's rest: account a is rate-limited, then usable again by the clock. */
async function rateLimitOnce(setup: ReloadSetup): Promise<void> {
  setup.sim.script({ account: 'a', fault: { type: 'rate_limit_bare', retryAfterSeconds: 1 } });
  const limited = await setup.post(TOKENS.alice);
  expect(limited.status).toBe(429);
  await limited.arrayBuffer();
  await waitFor(async () => (await stateOf(setup, 'a')) === 'usable', 'credential a to be usable again');
}

describe('alerts reload', () => {
  let setup: ReloadSetup | undefined;
  let receiver: AlertReceiverServer | undefined;
  afterEach(async () => {
    await setup?.close();
    await receiver?.close();
    setup = receiver = undefined;
  });

  it('starts a receiver added to the file, with the current baseline, and stops one removed', async () => {
    setup = await startReloadSetup({ watch: false });
    receiver = await startAlertReceiver();
    const events = receiver.events;

    // Added, with a credential whose file does not exist: reported at once, as at start-up.
    const withAlerts = setup.initial();
    withAlerts.alerts = [{ url: receiver.url }];
    withAlerts.claude.credentials.push({ tag: 'gone', type: 'default', path: `${setup.dir}/no-such-file.json` });
    withAlerts.claude.route = 'a';
    await setup.writeConfig(withAlerts);
    const reloaded = await setup.hangup();
    expect(reloaded).toMatchObject({ msg: 'config reloaded' });
    expect(reloaded['changes']).toEqual(expect.arrayContaining(['~ alerts', '+ claude.credentials.gone']));
    await waitFor(() => events().includes('credential_unavailable'), 'credential_unavailable for the missing file');
    expect(receiver.received.map((alert) => alert.body['credential'])).toEqual(['gone']);

    await rateLimitOnce(setup);
    await waitFor(() => events().includes('credential_recovered'), 'credential_recovered for a');
    expect(events()).toEqual(['credential_unavailable', 'credential_rate_limited', 'credential_recovered']);

    // Removed: the same episode again reaches no one.
    await setup.writeConfig(setup.initial());
    expect(await setup.hangup()).toMatchObject({ msg: 'config reloaded' });
    await rateLimitOnce(setup);
    // Alerts are posted as soon as the pool changes; a moment more for a straggler to arrive.
    await sleep(500);
    expect(events()).toEqual(['credential_unavailable', 'credential_rate_limited', 'credential_recovered']);
  });
});
