/**
 * Peers changed by a reload: a laptop (in this process) gets a connector peer added by
 * `reload()` and dials it; the hub (its own process, config from a file) then has that peer
 * removed by SIGHUP while a stream runs through its tunnel: the stream completes, then the
 * tunnel is closed, and the laptop's next dial is refused.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { startSimulator, type Simulator } from '../../../src/sim/index.ts';
import { writeClaudeCredentialFile } from '../../helpers/claude-credential-file.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';
import { forkNode, killAllNodeProcesses, logLines, type NodeProcess } from '../../helpers/node-process.ts';
import { assertNoSecrets, simulatorTokens } from '../../helpers/secrets.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const ALICE = 'peer-reload-alice-0123456789-abc';
const LINK = 'peer-reload-link-0123456789-abcd';
const TUNNEL = { keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000 };
const STREAM = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('peers changed by a reload', () => {
  let sim: Simulator | undefined;
  let laptop: RunningNode | undefined;
  let dir: string | undefined;
  const { logger, lines: laptopLogs } = capturingLogger();
  let hub: NodeProcess | undefined;
  afterEach(async () => {
    await laptop?.close();
    await killAllNodeProcesses();
    const secrets = [ALICE, LINK, ...(sim ? simulatorTokens(sim) : [])];
    await sim?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    assertNoSecrets([...laptopLogs, ...(hub?.logs ?? [])], secrets);
  });

  it('dials a connector peer added, and drains a removed peer’s tunnel before closing it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-peer-reload-'));
    // 100 ms between events: the stream is still running when the peer is removed.
    sim = await startSimulator({
      accounts: [
        { id: 'hub-a', plan: 'max20x' },
        { id: 'lap-a', plan: 'max20x' },
      ],
      chunkDelayMs: 100,
    });
    const hubPath = await writeClaudeCredentialFile(sim, dir, 'hub-a');
    const lapPath = await writeClaudeCredentialFile(sim, dir, 'lap-a');
    const hubConfig = (withLaptop: boolean) => ({
      name: 'hub',
      listen: '127.0.0.1:0',
      state_dir: join(dir!, 'hub-state'),
      users: [{ name: 'alice', token: ALICE, allow_external_usage: true, claude: withLaptop ? 'laptop' : 'hub-a' }],
      peers: withLaptop ? [{ name: 'laptop', token: LINK }] : [],
      claude: {
        api_url: sim!.url,
        oauth_url: sim!.tokenUrl,
        credentials: [
          { tag: 'hub-a', type: 'default', path: hubPath },
          ...(withLaptop ? [{ tag: 'laptop', type: 'external', peer: 'laptop' }] : []),
        ],
      },
    });
    const configPath = join(dir, 'hub.json');
    const writeHubConfig = async (raw: unknown): Promise<void> => {
      await writeFile(`${configPath}.next`, JSON.stringify(raw));
      await rename(`${configPath}.next`, configPath);
    };
    await writeHubConfig(hubConfig(true));
    hub = await forkNode().start({ config: undefined, configFile: configPath, watchConfigFile: false, dir, options: { tunnel: TUNNEL } });

    const laptopConfig = (withHub: boolean) =>
      parseConfigValue(
        {
          name: 'laptop',
          listen: '127.0.0.1:0',
          state_dir: join(dir!, 'laptop-state'),
          peers: withHub ? [{ name: 'hub', url: hub!.url, token: LINK, reverse: true, share: { claude: 'lap-a' } }] : [],
          claude: { api_url: sim!.url, oauth_url: sim!.tokenUrl, credentials: [{ tag: 'lap-a', type: 'default', path: lapPath }] },
        },
        { env: {}, homeDir: dir!, baseDir: dir! },
      );
    laptop = await startNode(laptopConfig(false), { logger, tunnel: TUNNEL, drainMs: 500 });
    expect(laptop.isTunnelUp('hub')).toBe(false);
    const added = await laptop.reload(laptopConfig(true));
    expect(added.peers.added).toEqual(['hub']);
    await waitFor(() => laptop!.isTunnelUp('hub'), 'the laptop to dial the peer the reload added');
    await waitFor(async () => {
      const response = await fetch(`${hub!.url}/v1/status?provider=claude`, { headers: { authorization: `Bearer ${ALICE}` } });
      const status = (await response.json()) as { state: string; weekly_utilization: number };
      return status.state === 'usable' && status.weekly_utilization < 100;
    }, 'the hub to see the laptop usable');

    const response = await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: STREAM,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value, { stream: true });
    const servedByLaptop = sim.account('lap-a').counters.messages;
    expect(servedByLaptop).toBe(1);

    await writeHubConfig(hubConfig(false));
    hub.kill('SIGHUP');
    const retired = await waitFor(
      () => logLines(hub!.logs, 'tunnel retired; closing it after its open requests')[0],
      'the hub to retire the removed peer’s tunnel',
    );
    expect(retired).toMatchObject({ peer: 'laptop' });
    expect(retired.openStreams).toBeGreaterThanOrEqual(1);
    expect(await waitFor(() => logLines(hub!.logs, 'config reloaded')[0], 'the reload to be logged')).toMatchObject({
      changes: ['~ users.alice (claude)', '- peers.laptop', '- claude.credentials.laptop'],
    });

    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain('message_stop');
    await waitFor(() => logLines(hub!.logs, 'retired tunnel closed').length === 1, 'the hub to close the drained tunnel');
    await waitFor(() => !laptop!.isTunnelUp('hub'), 'the laptop to see the tunnel gone');
    // The peer is gone from the hub's tables: the laptop's next dial is refused.
    await waitFor(
      () => laptopLogs.some((line) => line.includes('peer refused our tunnel authorization')),
      'the hub to refuse the removed peer’s dial',
    );
    // And the hub serves alice from its own account now.
    const own = await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: STREAM,
    });
    expect(own.status).toBe(200);
    await own.arrayBuffer();
    expect(sim.account('lap-a').counters.messages).toBe(servedByLaptop);
  });
});
