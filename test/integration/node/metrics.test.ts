import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { startMesh, TOKENS, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

describe('/metrics', () => {
  let harness: Harness | undefined;
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await harness?.close();
    await mesh?.close();
    harness = undefined;
    mesh = undefined;
  });

  it('needs the admin token', async () => {
    harness = await startHarness();
    expect((await fetch(`${harness.node.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${harness.node.url}/metrics`, { headers: { authorization: `Bearer ${harness.userToken}` } })).status).toBe(403);
  });

  it('exposes requests, failovers, latency and credential series after traffic', async () => {
    harness = await startHarness({
      accounts: [
        { id: 'a', plan: 'max20x' },
        { id: 'b', plan: 'max5x' },
      ],
    });
    harness.sim.script({ fault: { type: 'overloaded' } });
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${harness.node.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
        body: BODY,
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const text = await (await fetch(`${harness.node.url}/metrics`, { headers: { authorization: `Bearer ${harness.adminToken}` } })).text();
    expect(text).toMatch(/quotamesh_requests_total\{provider="claude",credential="[ab]",status="200"\} \d/);
    expect(text).toMatch(/quotamesh_failovers_total\{provider="claude",credential="[ab]",reason="529"\} 1/);
    expect(text).toContain('quotamesh_upstream_latency_seconds_bucket');
    expect(text).toMatch(/quotamesh_credential_utilization_percent\{provider="claude",credential="a",window="weekly"\}/);
    expect(text).toMatch(/quotamesh_credential_state\{provider="claude",credential="[ab]",state="usable"\} 1/);
    expect(text).toMatch(/quotamesh_credential_state\{provider="claude",credential="[ab]",state="unavailable"\} 1/);
    expect(text).toMatch(/quotamesh_credential_plan_weight\{provider="claude",credential="b"\} 5/);
    expect(text).not.toContain(harness.userToken);
  });

  it('counts token refreshes and failed usage polls', async () => {
    harness = await startHarness({ accounts: [{ id: 'a', plan: 'max20x', expiresAt: Date.now() - 60_000 }] });
    harness.sim.script({ endpoint: 'usage', fault: { type: 'server_error' }, times: 100 });
    const response = await fetch(`${harness.node.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
      body: BODY,
    });
    expect(response.status).toBe(200);
    const h = harness;
    const text = await waitFor(async () => {
      const body = await (await fetch(`${h.node.url}/metrics`, { headers: { authorization: `Bearer ${h.adminToken}` } })).text();
      return /quotamesh_usage_poll_failures_total\{provider="claude",credential="a"\} [1-9]/.test(body) ? body : undefined;
    }, 'a counted usage poll failure');
    expect(text).toContain('quotamesh_token_refreshes_total{provider="claude",credential="a",result="ok"} 1');
  });

  it('exposes tunnel state and open streams', async () => {
    mesh = await startMesh();
    await tunnelUp(mesh.hub, 'laptop');
    const text = await (await fetch(`${mesh.hub.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.admin}` } })).text();
    expect(text).toContain('quotamesh_tunnel_up{peer="laptop"} 1');
    expect(text).toMatch(/quotamesh_tunnel_open_streams\{peer="laptop"\} \d+/);
    expect(text).toContain('quotamesh_tunnel_reconnects_total');
  });
});
