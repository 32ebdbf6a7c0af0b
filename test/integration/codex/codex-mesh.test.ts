import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startDemoMesh, type DemoMesh } from '../../../src/commands/demo-mesh.ts';
import { createLogger } from '../../../src/node/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('Codex across the mesh', () => {
  let mesh: DemoMesh | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    await mesh?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
    mesh = undefined;
  });

  async function linked(): Promise<DemoMesh> {
    directory = await mkdtemp(join(tmpdir(), 'qm-codex-mesh-'));
    mesh = await startDemoMesh({ directory, hubPort: 0, logger: createLogger({ level: 'silent' }) });
    const m = mesh;
    await waitFor(async () => {
      const response = await fetch(`${m.hub.url}/v1/status`, { headers: { authorization: `Bearer ${m.adminToken}` } });
      const status = (await response.json()) as { providers: { codex: { credentials: Array<{ tag: string; plan_weight: number }> } } };
      return status.providers.codex.credentials.find((row) => row.tag === 'laptop-codex')?.plan_weight === 1;
    }, "the hub to list 'laptop-codex' with plan weight 1");
    return m;
  }

  it("serves a hub user from the laptop's Codex account through the tunnel", async () => {
    const m = await linked();
    // The hub's own account refuses; the request moves to the laptop's, through the tunnel.
    m.sim.script({ endpoint: 'codex_responses', account: 'hub-codex-pro', fault: { type: 'rate_limit' } });
    const client = new OpenAI({ baseURL: `${m.hub.url}/v1`, apiKey: m.userToken, maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-5-codex', input: 'hello from the hub' });
    expect(response.status).toBe('completed');
    expect(m.sim.codexAccount('laptop-codex-plus').counters.responses).toBe(1);
    const forwarded = m.sim.received.filter((request) => request.path.startsWith('/backend-api/codex/responses'));
    expect(forwarded.at(-1)?.path).toBe('/backend-api/codex/responses');
    expect(JSON.stringify(forwarded)).not.toContain(m.userToken);
  });

  it("relays a WebSocket session to the laptop's account through the tunnel", async () => {
    const m = await linked();
    m.sim.script({ endpoint: 'codex_handshake', account: 'hub-codex-pro', fault: { type: 'rate_limit' } });
    const socket = new WebSocket(`${m.hub.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: `Bearer ${m.userToken}` },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const events: Array<{ type: string }> = [];
    socket.on('message', (data) => events.push(JSON.parse(data.toString()) as { type: string }));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => events.some((event) => event.type === 'response.completed'), 'response.completed');
    expect(m.sim.codexAccount('laptop-codex-plus').counters.responses).toBe(1);
    socket.close();
  });
});
