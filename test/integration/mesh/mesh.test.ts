import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, TOKENS, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hello mesh' }] });

async function send(url: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: BODY,
  });
}

async function claudeStatus(url: string, token: string): Promise<any> {
  const response = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as any).providers.claude;
}

/** Which simulated account served the last /v1/messages request. */
function lastServedBy(mesh: Mesh): string | undefined {
  const last = [...mesh.sim.received].reverse().find((request) => request.path.startsWith('/v1/messages'));
  const token = String(last?.headers.authorization ?? '').replace('Bearer ', '');
  return mesh.sim.accounts.find((account) => account.accessToken === token)?.id;
}

describe('mesh: hub + laptop over a reverse tunnel', () => {
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  async function linkedMesh(options: Parameters<typeof startMesh>[0] = {}): Promise<Mesh> {
    mesh = await startMesh(options);
    await tunnelUp(mesh.hub, 'laptop');
    // The hub knows the laptop's capacity once a status frame arrived over the tunnel.
    const m = mesh;
    await waitFor(
      async () => (await claudeStatus(m.hub.url, TOKENS.admin)).credentials.find((row: any) => row.tag === 'laptop')?.plan_weight === 10,
      "the hub to see the laptop's plan weight 10",
    );
    return mesh;
  }

  it('serves a user allowed external usage from the laptop account when it is the least used', async () => {
    const m = await linkedMesh({ hubAccount: { weeklyUtilization: 80 }, laptopAccount: { weeklyUtilization: 10 } });
    // Let the hub learn its own account's usage (a poll or a request) before choosing.
    await waitFor(
      async () =>
        (await claudeStatus(m.hub.url, TOKENS.admin)).credentials.find((row: any) => row.tag === 'hub-a')?.weekly_utilization >= 80,
      "the hub to learn 'hub-a' is 80 % used",
    );
    const response = await send(m.hub.url, TOKENS.alice);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe('message');
    expect(lastServedBy(m)).toBe('lap-a');
    // The laptop's ledger says the request came from the hub peer.
    expect(response.headers.get('x-quotamesh-plan-weight')).toBe('20');
  });

  it('never serves a user without allow_external_usage from the laptop', async () => {
    const m = await linkedMesh({ hubAccount: { weeklyUtilization: 80 }, laptopAccount: { weeklyUtilization: 10 } });
    for (let i = 0; i < 5; i += 1) {
      const response = await send(m.hub.url, TOKENS.bob);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      expect(lastServedBy(m)).toBe('hub-a');
    }
  });

  it("sums both sides' plan weight on the hub, and the laptop's view for the hub excludes the hub", async () => {
    const m = await linkedMesh();
    await send(m.hub.url, TOKENS.bob).then((response) => response.arrayBuffer());
    await waitFor(async () => (await claudeStatus(m.hub.url, TOKENS.alice)).plan_weight === 20, "alice's pool to reach plan weight 20");
    expect((await claudeStatus(m.hub.url, TOKENS.bob)).plan_weight).toBe(10);
    // What the hub reads from the laptop (its share, without the laptop's external credential
    // pointing back at the hub): only the laptop's own account.
    const peerView = await fetch(`${m.laptop.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${TOKENS.link}` } });
    expect(((await peerView.json()) as any).plan_weight).toBe(10);
  });

  it('re-links after the hub is stopped and started again, without restarting the laptop', async () => {
    const m = await linkedMesh({ hubAccount: { weeklyUtilization: 90 }, laptopAccount: { weeklyUtilization: 5 } });
    const hub = await m.restartHub();
    await tunnelUp(hub, 'laptop');
    await waitFor(
      async () => (await claudeStatus(hub.url, TOKENS.admin)).credentials.find((row: any) => row.tag === 'laptop')?.state === 'usable',
      'the restarted hub to see the laptop usable',
    );
    await waitFor(
      async () => (await claudeStatus(hub.url, TOKENS.admin)).credentials.find((row: any) => row.tag === 'hub-a')?.weekly_utilization >= 90,
      "the restarted hub to learn 'hub-a' is 90 % used",
    );
    const response = await send(hub.url, TOKENS.alice);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(lastServedBy(m)).toBe('lap-a');
  });

  it('reports a receiver without a tunnel as unavailable and fails over to what is left', async () => {
    const m = await linkedMesh({
      hubExtra: {
        peers: [{ name: 'ghost', token: 'ghost-link-token-0123456789ab' }],
        credentials: [{ tag: 'ghost', type: 'external', peer: 'ghost' }],
        poolMembers: ['ghost'],
      },
    });
    const rows = (await claudeStatus(m.hub.url, TOKENS.admin)).credentials;
    expect(rows.find((row: any) => row.tag === 'ghost')).toMatchObject({ state: 'unavailable', peer: 'ghost' });
    for (let i = 0; i < 3; i += 1) {
      const response = await send(m.hub.url, TOKENS.alice);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
  });

  it('answers 508 to a request that already passed through this node, or too many nodes', async () => {
    const m = await linkedMesh();
    const before = m.sim.received.length;
    const looped = await send(m.hub.url, TOKENS.alice, { 'x-quotamesh-via': 'laptop,hub' });
    expect(looped.status).toBe(508);
    expect(await looped.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    const tooLong = await send(m.hub.url, TOKENS.alice, { 'x-quotamesh-via': 'a,b,c,d,e' });
    expect(tooLong.status).toBe(508);
    expect(m.sim.received.length).toBe(before);
  });

  it('never lets a user or peer token reach the simulator', async () => {
    const m = await linkedMesh({ hubAccount: { weeklyUtilization: 70 }, laptopAccount: { weeklyUtilization: 10 } });
    for (const token of [TOKENS.alice, TOKENS.bob, TOKENS.alice]) await (await send(m.hub.url, token)).arrayBuffer();
    await (await send(m.laptop.url, TOKENS.laptopUser)).arrayBuffer();
    const seen = JSON.stringify(m.sim.received);
    for (const token of Object.values(TOKENS)) expect(seen).not.toContain(token);
    expect(m.logs.join('')).not.toContain(TOKENS.link);
    expect(m.logs.join('')).not.toContain(TOKENS.alice);
  });
});
