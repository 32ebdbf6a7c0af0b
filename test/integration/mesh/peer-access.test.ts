/**
 * What a peer may draw on here (CONFIG.md › peers, `share`; PROTOCOL.md › Status JSON): nothing
 * without a share entry, and never our external credentials unless its entry allows external usage,
 * neither in requests nor in the status it reads. Peers here call with their token over plain HTTP,
 * as a normal peer does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, TOKENS, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const STRANGER = 'stranger-link-token-0123456789ab';
const NARROW = 'narrow-link-token-0123456789abcd';
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hello peer' }] });

function send(mesh: Mesh, token: string): Promise<Response> {
  return fetch(`${mesh.hub.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: BODY,
  });
}

async function claudeStatus(mesh: Mesh, token: string): Promise<{ plan_weight: number; state: string; credentials?: unknown }> {
  const response = await fetch(`${mesh.hub.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as { plan_weight: number; state: string; credentials?: unknown };
}

describe('peer access', () => {
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  async function linkedMesh(): Promise<Mesh> {
    // The hub's own account is the busier one: least-used would pick the laptop's if it could.
    mesh = await startMesh({
      hubAccount: { weeklyUtilization: 80 },
      laptopAccount: { weeklyUtilization: 10 },
      hubExtra: {
        peers: [
          { name: 'stranger', token: STRANGER },
          // May use the whole pool, but without allow_external_usage: the laptop's share is off limits.
          { name: 'narrow', token: NARROW, share: { claude: 'pool' } },
        ],
      },
    });
    const m = mesh;
    await tunnelUp(m.hub, 'laptop');
    await waitFor(async () => (await claudeStatus(m, TOKENS.alice)).plan_weight === 20, "alice's pool to reach plan weight 20");
    return m;
  }

  it('answers a peer without a share entry 403 in Anthropic shape, and forwards nothing', async () => {
    const m = await linkedMesh();
    const before = m.sim.received.length;
    const response = await send(m, STRANGER);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(m.sim.received.length).toBe(before);
  });

  it('shows a peer without a share entry no capacity at all', async () => {
    const m = await linkedMesh();
    expect(await claudeStatus(m, STRANGER)).toMatchObject({ plan_weight: 0, state: 'unavailable' });
  });

  it('serves a peer shared a balancer only from our own accounts, never from an external one', async () => {
    const m = await linkedMesh();
    await waitFor(async () => {
      const response = await fetch(`${m.hub.url}/v1/status`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      const rows = (
        (await response.json()) as { providers: { claude: { credentials: Array<{ tag: string; weekly_utilization: number }> } } }
      ).providers.claude.credentials;
      return (rows.find((row) => row.tag === 'hub-a')?.weekly_utilization ?? 0) >= 80;
    }, "the hub to learn 'hub-a' is 80 % used");
    for (let i = 0; i < 6; i += 1) {
      const response = await send(m, NARROW);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(m.sim.account('lap-a').counters.messages).toBe(0);
    expect(m.sim.account('hub-a').counters.messages).toBe(6);
  });

  it('shows that peer the aggregate of our own accounts only, without per-credential rows', async () => {
    const m = await linkedMesh();
    const status = await claudeStatus(m, NARROW);
    expect(status.plan_weight).toBe(10);
    expect(status.credentials).toBeUndefined();
  });
});
