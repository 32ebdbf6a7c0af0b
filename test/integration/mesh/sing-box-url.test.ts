/**
 * A normal sing-box peer (url, no reverse): our hub calls it over HTTP with the Bearer token,
 * follows its `/ccm/v1/status?watch=true`, reads `X-CCM-Plan-Weight`; a service whose status path
 * answers 404 is asked again only slowly, and said once. Then two quotamesh nodes linked over
 * sing-box's wire, as a sing-box pair would be.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigValue, startNode } from '../../../src/node/index.ts';
import { claudeCredentialFile, startSimulator } from '../../../src/sim/index.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { assertNoSecrets } from '../../helpers/secrets.ts';
import { sampleSingBoxStatus, SING_BOX_TOKENS, startSingBoxHub } from '../../helpers/sing-box-hub.ts';
import { singBoxService } from '../../helpers/sing-box-service.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const { link: LINK, alice: ALICE, admin: ADMIN } = SING_BOX_TOKENS;
const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function adminRows(url: string): Promise<any> {
  const response = await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as any).providers;
}

describe('a normal sing-box peer', () => {
  it('is called over its url with the Bearer token, and its status watch and plan-weight header are read', async () => {
    const status = sampleSingBoxStatus();
    const service = singBoxService({ token: LINK, status, missingStatus: ['ocm'], headerPlanWeight: 4 });
    await new Promise<void>((resolve) => service.server.listen(0, '127.0.0.1', resolve));
    const serviceUrl = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    const { hub, lines, close } = await startSingBoxHub({ name: 'sb', url: serviceUrl });
    cleanups.push(async () => {
      await close();
      service.server.closeAllConnections();
      await new Promise((resolve) => service.server.close(resolve));
    });
    await waitFor(
      async () => (await adminRows(hub.url)).claude.credentials[0].plan_weight === 7,
      'the watch of /ccm/v1/status over the url',
    );
    const response = await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: MESSAGE,
    });
    expect(response.status).toBe(200);
    // Alice is no sing-box caller: the peer's header is not passed on, and she gets ours only.
    expect(response.headers.get('x-ccm-plan-weight')).toBeNull();
    expect((await adminRows(hub.url)).claude.credentials[0].plan_weight).toBe(4);
    const request = service.seen.find((seen) => seen.path === '/v1/messages');
    expect(request).toMatchObject({ authorization: `Bearer ${LINK}`, host: new URL(serviceUrl).host });
    // The OCM status path answers 404: reported once, not stopped, not hammered.
    await waitFor(() => lines.some((line) => line.includes('answers 404 to /ocm/v1/status')), 'the 404 reported');
    expect(lines.filter((line) => line.includes('answers 404 to /ocm/v1/status'))).toHaveLength(1);
    expect(service.seen.filter((seen) => seen.path === '/ocm/v1/status?watch=true')).toHaveLength(1);
  });
});

describe('two quotamesh nodes over sing-box’s wire', () => {
  it('link, share status and serve requests as a sing-box pair would', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qm-sb-pair-'));
    const sim = await startSimulator({ accounts: [{ id: 'lap', plan: 'max5x' }] });
    await mkdir(join(dir, 'lap'));
    await writeFile(join(dir, 'lap', 'c.json'), JSON.stringify(claudeCredentialFile(sim.accounts[0]!)), { mode: 0o600 });
    const { logger, lines } = capturingLogger();
    const env = { env: {}, homeDir: dir, baseDir: dir };
    const hub = await startNode(
      parseConfigValue(
        {
          name: 'hub',
          listen: '127.0.0.1:0',
          state_dir: join(dir, 'hub'),
          admin_token: ADMIN,
          users: [{ name: 'alice', token: ALICE, allow_external_usage: true }],
          peers: [{ name: 'laptop', token: LINK, protocol: 'sing-box' }],
          claude: { credentials: [{ tag: 'laptop', type: 'external', peer: 'laptop' }] },
        },
        env,
      ),
      { logger: logger.child({ node: 'hub' }), drainMs: 200 },
    );
    const laptop = await startNode(
      parseConfigValue(
        {
          name: 'laptop',
          listen: '127.0.0.1:0',
          state_dir: join(dir, 'laptop'),
          peers: [{ name: 'hub', url: hub.url, token: LINK, reverse: true, protocol: 'sing-box', share: { claude: 'lap' } }],
          claude: {
            api_url: sim.url,
            oauth_url: sim.tokenUrl,
            credentials: [{ tag: 'lap', type: 'default', path: join(dir, 'lap', 'c.json') }],
          },
        },
        env,
      ),
      { logger: logger.child({ node: 'laptop' }), drainMs: 200 },
    );
    cleanups.push(async () => {
      await laptop.close();
      await hub.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(lines, [LINK, ALICE, ADMIN]);
    });
    await waitFor(
      async () => (await adminRows(hub.url)).claude.credentials[0].plan_weight === 5,
      "the hub to read the laptop's Max 5x over the tunnel",
    );
    const response = await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: MESSAGE,
    });
    expect(response.status).toBe(200);
    expect(sim.account('lap').counters.messages).toBe(1);
  });
});
