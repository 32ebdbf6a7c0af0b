/**
 * sing-box peers, both ways, against a test peer that follows sing-box's CCM/OCM code over an
 * independent yamux (test/helpers/sing-box-peer.ts): a sing-box laptop links to our hub and
 * serves our users; our laptop links to a sing-box receiver and serves its users.
 */
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { claudeCredentialFile, codexAuthFile, startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { assertNoSecrets } from '../../helpers/secrets.ts';
import { connectSingBoxConnector, startSingBoxReceiver, type ConnectorSession, type SingBoxReceiver } from '../../helpers/sing-box-peer.ts';
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

describe('a sing-box laptop links to our hub', () => {
  async function hubWithSingBoxLaptop() {
    const { hub, close } = await startSingBoxHub({ name: 'sb-laptop' });
    const status = sampleSingBoxStatus();
    const laptop = singBoxService({ token: LINK, status });
    const connectors: ConnectorSession[] = [];
    for (const service of ['ccm', 'ocm'] as const)
      connectors.push(await connectSingBoxConnector({ url: hub.url, service, token: LINK, server: laptop.server }));
    cleanups.push(async () => {
      for (const connector of connectors) connector.close();
      await close();
    });
    await waitFor(() => hub.isTunnelUp('sb-laptop'), 'the sing-box tunnels to come up');
    return { hub, laptop, status };
  }

  it("aggregates the laptop's status frames and serves 50 concurrent requests through its tunnel", async () => {
    const { hub, laptop } = await hubWithSingBoxLaptop();
    await waitFor(async () => {
      const response = await fetch(`${hub.url}/v1/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const row = ((await response.json()) as any).providers.claude.credentials[0];
      return row.plan_weight === 7 && row.five_hour_utilization === 20 && row.weekly_utilization === 30;
    }, "the hub to read the sing-box laptop's /ccm/v1/status watch");
    const aliceView = (await (await fetch(`${hub.url}/ccm/v1/status`, { headers: { authorization: `Bearer ${ALICE}` } })).json()) as any;
    expect(aliceView).toMatchObject({ plan_weight: 7, five_hour_utilization: 20, weekly_utilization: 30, state: 'usable' });

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${hub.url}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
          body: MESSAGE,
        }),
      ),
    );
    const bodies = await Promise.all(
      responses.map(async (response) => ({ status: response.status, body: (await response.json()) as any })),
    );
    expect(bodies.every(({ status, body }) => status === 200 && body.content[0].text === 'from sing-box')).toBe(true);
    const requests = laptop.seen.filter((request) => request.path === '/v1/messages');
    expect(requests).toHaveLength(50);
    // sing-box's connector authenticates them as its user with the link token, at Host reverse-proxy.
    expect(requests.every((request) => request.host === 'reverse-proxy' && request.authorization === `Bearer ${LINK}`)).toBe(true);
    expect(laptop.seen.some((request) => request.path === '/ccm/v1/status?watch=true')).toBe(true);
  });

  it('carries a Codex WebSocket through the /ocm tunnel', async () => {
    const { hub, laptop } = await hubWithSingBoxLaptop();
    await waitFor(async () => {
      const response = await fetch(`${hub.url}/ocm/v1/status`, { headers: { authorization: `Bearer ${ALICE}` } });
      return ((await response.json()) as any).plan_weight === 7;
    }, "the hub to read the sing-box laptop's /ocm/v1/status watch");
    const socket = new WebSocket(`${hub.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${ALICE}` } });
    cleanups.push(() => socket.terminate());
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const events: string[] = [];
    socket.on('message', (data) => events.push((JSON.parse(data.toString()) as { type: string }).type));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => events.includes('response.completed'), 'response.completed through the sing-box tunnel');
    expect(laptop.seen.find((request) => request.path === '/v1/responses')).toMatchObject({
      host: 'reverse-proxy',
      authorization: `Bearer ${LINK}`,
    });
  });

  it('refuses a wrong token with the 401 body sing-box writes, and a missing Upgrade with its 400', async () => {
    const { hub } = await hubWithSingBoxLaptop();
    const port = Number(new URL(hub.url).port);
    const ask = (headers: string, path = '/ccm/v1/reverse'): Promise<string> =>
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(`GET ${path} HTTP/1.1\r\nHost: hub\r\nConnection: Upgrade\r\n${headers}\r\n`),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
    const wrong = await ask('Upgrade: reverse-proxy\r\nAuthorization: Bearer not-the-link-token-0123456789\r\n');
    expect(wrong.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
    expect(
      wrong.endsWith('{"error":{"message":"invalid reverse token","type":"authentication_error"},"request_id":"","type":"error"}\n'),
    ).toBe(true);
    const noUpgrade = await ask('Upgrade: websocket\r\nAuthorization: Bearer x\r\n');
    expect(noUpgrade.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(noUpgrade).toContain('"message":"missing Upgrade header"');
    // Ten failures from one address, counted with /v1/tunnel's: then even the right token waits.
    for (let failure = 2; failure < 10; failure++) await ask('Upgrade: reverse-proxy\r\n');
    const limited = await ask(`Upgrade: reverse-proxy\r\nAuthorization: Bearer ${LINK}\r\n`);
    expect(limited.split('\r\n')[0]).toBe('HTTP/1.1 429 Too Many Requests');
    expect(limited).toMatch(/Retry-After: \d+/);
    const tunnel = await ask(
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
      '/v1/tunnel',
    );
    expect(tunnel.split('\r\n')[0]).toBe('HTTP/1.1 429 Too Many Requests');
    const plain = await fetch(`${hub.url}/ocm/v1/reverse`);
    expect(plain.status).toBe(400);
    expect(await plain.text()).toBe('{"error":{"code":"","message":"missing Upgrade header","param":"","type":"invalid_request_error"}}\n');
  });
});

describe('our laptop links to a sing-box receiver', () => {
  async function laptopDialingReceiver(tls?: { cert: Buffer; key: Buffer }) {
    const dir = await mkdtemp(join(tmpdir(), 'qm-sb-lap-'));
    const sim: Simulator = await startSimulator({
      accounts: [{ id: 'lap-a', plan: 'max20x' }],
      codexAccounts: [{ id: 'lap-cx', plan: 'plus' }],
    });
    await mkdir(join(dir, 'lap-a'), { recursive: true });
    await writeFile(join(dir, 'lap-a', '.credentials.json'), JSON.stringify(claudeCredentialFile(sim.accounts[0]!)), { mode: 0o600 });
    await writeFile(join(dir, 'lap-a', 'auth.json'), JSON.stringify(codexAuthFile(sim.codexAccounts[0]!)), { mode: 0o600 });
    const receiver: SingBoxReceiver = await startSingBoxReceiver({ token: LINK, ...(tls === undefined ? {} : { tls }) });
    const { logger, lines } = capturingLogger();
    const laptop: RunningNode = await startNode(
      parseConfigValue(
        {
          name: 'laptop',
          listen: '127.0.0.1:0',
          state_dir: join(dir, 'state'),
          peers: [
            {
              name: 'sb-hub',
              url: receiver.url,
              token: LINK,
              reverse: true,
              protocol: 'sing-box',
              share: { claude: 'lap-a', codex: 'lap-cx' },
            },
          ],
          claude: {
            api_url: sim.url,
            oauth_url: sim.tokenUrl,
            credentials: [{ tag: 'lap-a', type: 'default', path: join(dir, 'lap-a', '.credentials.json') }],
          },
          codex: {
            api_url: sim.codexApiUrl,
            usage_url: sim.codexUsageUrl,
            oauth_url: sim.codexTokenUrl,
            credentials: [{ tag: 'lap-cx', type: 'default', path: join(dir, 'lap-a', 'auth.json') }],
          },
        },
        { env: {}, homeDir: dir, baseDir: dir },
      ),
      { logger, drainMs: 200, ...(tls === undefined ? {} : { peerCa: tls.cert }) },
    );
    cleanups.push(async () => {
      await receiver.close();
      await laptop.close();
      await sim.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(lines, [LINK]);
    });
    await waitFor(() => receiver.session('ccm') !== undefined && receiver.session('ocm') !== undefined, 'the laptop to dial /ccm and /ocm');
    return { laptop, receiver, sim };
  }

  /** The receiver's HTTP client: `http://reverse-proxy` + the request URI, over a new stream. */
  function viaTunnel(receiver: SingBoxReceiver, path: string, options: { method?: string; body?: string; token?: string } = {}) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const request = http.request(`http://reverse-proxy${path}`, {
        method: options.method ?? 'GET',
        agent: receiver.agent(path.startsWith('/ocm') ? 'ocm' : 'ccm'),
        headers: {
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          'content-type': 'application/json',
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      request.on('error', reject);
      request.end(options.body);
    });
  }

  it('dials /ccm/v1/reverse with the Bearer token and answers the status watch with the five keys', async () => {
    const { receiver } = await laptopDialingReceiver();
    const ccm = receiver.upgrades.find((upgrade) => upgrade.path === '/ccm/v1/reverse');
    expect(ccm?.headers).toMatchObject({ upgrade: 'reverse-proxy', connection: 'Upgrade', authorization: `Bearer ${LINK}` });
    // The first frame goes out at once; the next when the laptop's account reports its plan.
    const frame = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const request = http.get('http://reverse-proxy/ccm/v1/status?watch=true', {
        agent: receiver.agent('ccm'),
        headers: { authorization: `Bearer ${LINK}` },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
          for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
            const parsed = JSON.parse(text.slice(0, end)) as Record<string, unknown>;
            text = text.slice(end + 1);
            if (parsed['plan_weight'] === 10) {
              resolve(parsed);
              response.destroy();
            }
          }
        });
      });
      request.on('error', reject);
    });
    for (const key of ['five_hour_utilization', 'five_hour_reset', 'weekly_utilization', 'weekly_reset', 'plan_weight'])
      expect(frame).toHaveProperty(key);
    // What the laptop shares with this peer: one Max 20x account.
    expect(frame['plan_weight']).toBe(10);
  });

  it("serves 50 concurrent requests of the receiver's users with its share, in sing-box's header dialect", async () => {
    const { receiver, sim } = await laptopDialingReceiver();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => viaTunnel(receiver, '/v1/messages', { method: 'POST', body: MESSAGE, token: LINK })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(sim.account('lap-a').counters.messages).toBe(50);
    const headers = answers[0]!.headers;
    expect(['5h', '7d']).toContain(headers['anthropic-ratelimit-unified-representative-claim']);
    expect(headers['x-ccm-plan-weight']).toBe('10');
  });

  it('dials an https receiver over TLS, verifying its certificate', async () => {
    const cert = readFileSync(new URL('../tunnel/fixtures/localhost-cert.pem', import.meta.url));
    const key = readFileSync(new URL('../tunnel/fixtures/localhost-key.pem', import.meta.url));
    const { receiver, sim } = await laptopDialingReceiver({ cert, key });
    const answer = await viaTunnel(receiver, '/v1/messages', { method: 'POST', body: MESSAGE, token: LINK });
    expect(answer.status).toBe(200);
    expect(sim.account('lap-a').counters.messages).toBe(1);
  });

  it('refuses a request on the tunnel that does not carry the peer token', async () => {
    const { receiver, sim } = await laptopDialingReceiver();
    const answer = await viaTunnel(receiver, '/v1/messages', { method: 'POST', body: MESSAGE });
    expect(answer.status).toBe(401);
    expect(sim.account('lap-a').counters.messages).toBe(0);
  });

  it("carries the receiver's Codex WebSocket through the /ocm tunnel to the laptop's account", async () => {
    const { receiver, sim } = await laptopDialingReceiver();
    const socket = await receiver.openWebSocket('ocm', '/v1/responses', { authorization: `Bearer ${LINK}` });
    cleanups.push(() => socket.terminate());
    const events: string[] = [];
    socket.on('message', (data) => events.push((JSON.parse(data.toString()) as { type: string }).type));
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5-codex', input: [{ role: 'user', content: 'hi' }] }));
    await waitFor(() => events.includes('response.completed'), 'response.completed from the laptop');
    expect(sim.codexAccount('lap-cx').counters.responses).toBe(1);
  });
});
