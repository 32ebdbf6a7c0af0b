/**
 * A hub with a TLS listener and a laptop dialing it over wss (PROTOCOL.md › Tunnel handshake). The
 * certificate is the committed test-only fixture under test/integration/tunnel/fixtures/
 * (self-signed, CA:TRUE, for 127.0.0.1 and localhost): given as `peerCa` the tunnel comes up and
 * carries requests; without it the laptop refuses to link, says why, and never falls back to an
 * insecure connection.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, parseConfigValue, startNode, type NodeOptions, type RunningNode } from '../../../src/node/index.ts';
import { claudeCredentialFile, startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { tunnelUp } from '../../helpers/mesh-harness.ts';
import { logLines } from '../../helpers/node-process.ts';
import { assertNoSecrets, simulatorTokens } from '../../helpers/secrets.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const CERT_PATH = new URL('../tunnel/fixtures/localhost-cert.pem', import.meta.url).pathname;
const KEY_PATH = new URL('../tunnel/fixtures/localhost-key.pem', import.meta.url).pathname;
const CA = readFileSync(CERT_PATH);
const USER = 'alice-token-0123456789-abcdefgh';
const LINK = 'hub-laptop-link-0123456789-abcd';
const TUNNEL = { keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000 };
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

let sim: Simulator | undefined;
let dir: string | undefined;
const nodes: RunningNode[] = [];
/** Every line either node logged, and every token the test knows, for the scan after each test. */
const logs: string[] = [];
const secrets: string[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.close();
  if (sim !== undefined) secrets.push(...simulatorTokens(sim));
  await sim?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  [sim, dir] = [undefined, undefined];
  assertNoSecrets(logs.splice(0), [USER, LINK, ...secrets.splice(0)]);
});

function capture(nodeLogs: string[]): NodeOptions['logger'] {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      nodeLogs.push(chunk.toString('utf8'));
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  return createLogger({ level: 'debug', destination });
}

/** A TLS hub whose only credential is the laptop, and a laptop dialing it with `peerCa` or not. */
async function startTlsMesh(
  laptopOptions: Pick<NodeOptions, 'peerCa'>,
): Promise<{ hub: RunningNode; laptop: RunningNode; laptopLogs: string[] }> {
  const simulator = await startSimulator({ accounts: [{ id: 'lap-a', plan: 'max20x' }] });
  sim = simulator;
  secrets.push(...simulatorTokens(simulator));
  const base = await mkdtemp(join(tmpdir(), 'qm-faults-tls-'));
  dir = base;
  const environment = { env: {}, homeDir: base, baseDir: base };
  const hub = await startNode(
    parseConfigValue(
      {
        name: 'hub',
        listen: '127.0.0.1:0',
        state_dir: join(base, 'hub-state'),
        tls: { cert: CERT_PATH, key: KEY_PATH },
        users: [{ name: 'alice', token: USER, allow_external_usage: true }],
        peers: [{ name: 'laptop', token: LINK }],
        claude: { api_url: simulator.url, credentials: [{ tag: 'laptop', type: 'external', peer: 'laptop' }] },
      },
      environment,
    ),
    { logger: capture([]), tunnel: TUNNEL, drainMs: 500 },
  );
  nodes.push(hub);
  expect(hub.url).toMatch(/^https:/);
  await mkdir(join(base, 'lap-a'));
  const credentialPath = join(base, 'lap-a', '.credentials.json');
  await writeFile(credentialPath, JSON.stringify(claudeCredentialFile(simulator.account('lap-a'))), { mode: 0o600 });
  const laptopLogs: string[] = [];
  const laptop = await startNode(
    parseConfigValue(
      {
        name: 'laptop',
        listen: '127.0.0.1:0',
        state_dir: join(base, 'laptop-state'),
        peers: [{ name: 'hub', url: hub.url, token: LINK, reverse: true, share: { claude: 'lap-a' } }],
        claude: {
          api_url: simulator.url,
          oauth_url: simulator.tokenUrl,
          credentials: [{ tag: 'lap-a', type: 'default', path: credentialPath }],
        },
      },
      environment,
    ),
    { logger: capture(laptopLogs), tunnel: TUNNEL, drainMs: 500, ...laptopOptions },
  );
  nodes.push(laptop);
  return { hub, laptop, laptopLogs };
}

/** One request to the TLS hub, trusting the fixture CA (global fetch takes no CA option). */
function request(hub: RunningNode, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${USER}`, 'content-type': 'application/json' };
    const outgoing = https.request(`${hub.url}${path}`, { method, headers, ca: CA }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('tunnel over TLS with a private CA', () => {
  it('links over wss with peerCa and serves a request through the hub on the laptop account', async () => {
    const { hub, laptop } = await startTlsMesh({ peerCa: CA });
    await tunnelUp(laptop, 'hub');
    await tunnelUp(hub, 'laptop');
    await waitFor(async () => {
      const status = JSON.parse((await request(hub, 'GET', '/v1/status?provider=claude')).text) as {
        state: string;
        weekly_utilization: number;
      };
      return status.state === 'usable' && status.weekly_utilization < 100;
    }, 'the hub to see the laptop usable with capacity');
    const before = sim!.account('lap-a').counters.messages;
    const response = await request(hub, 'POST', '/v1/messages', BODY);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ type: 'message' });
    expect(sim!.account('lap-a').counters.messages).toBe(before + 1);
  });

  it('refuses to link without the CA and logs why', async () => {
    const { hub, laptop, laptopLogs } = await startTlsMesh({});
    const failure = await waitFor(
      () => logLines(laptopLogs, 'tunnel dial failed').find((line) => line.peer === 'hub'),
      "a 'tunnel dial failed' log line",
    );
    expect(String(failure.reason)).toMatch(/self[- ]signed certificate/i);
    expect(String(failure.url)).toMatch(/^wss:/);
    expect(laptop.isTunnelUp('hub')).toBe(false);
    expect(hub.isTunnelUp('laptop')).toBe(false);
    expect(logLines(laptopLogs, 'tunnel up')).toEqual([]);
  });
});
