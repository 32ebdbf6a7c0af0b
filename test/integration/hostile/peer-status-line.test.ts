/**
 * Issue 11, item 6: a peer answers the hub's status watch with one line that never ends. The hub
 * (a real process) reads at most 64 KiB of it, refuses that peer's status for good with one log
 * line, does not retry, keeps its memory, and goes on serving its local user.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import {
  linkFakePeer,
  MiB,
  pooledHubConfig,
  postMessage,
  residentBytes,
  startHubProcess,
  untilWithBoundedMemory,
  type FakePeer,
  type HubSetup,
} from './peer-harness.ts';

const TOKEN = 'endless-peer-token-0123456789-ab';
/** The attacker stops after this much; the old hub had taken all of it into one string. */
const ATTACK_BYTES = 1024 * MiB;
const MAX_RSS_GROWTH = 40 * MiB;

let setup: HubSetup;
let attacker: FakePeer;
let release: () => void;
const attack = { sentBytes: 0, isClosed: false };

beforeAll(async () => {
  setup = await startHubProcess(pooledHubConfig([{ name: 'endless', token: TOKEN }]));
  const released = new Promise<void>((resolve) => (release = resolve));
  attacker = linkFakePeer({
    hubUrl: setup.hub.url,
    name: 'endless',
    token: TOKEN,
    onWatch: (response) => void released.then(() => writeEndlessLine(response)),
  });
});

afterAll(async () => {
  await attacker?.kill();
  await setup?.close([TOKEN]);
});

/** One line, never a newline, as fast as the hub takes it. */
function writeEndlessLine(response: http.ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  response.once('close', () => (attack.isClosed = true));
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const pump = (): void => {
    while (!response.destroyed && attack.sentBytes < ATTACK_BYTES) {
      attack.sentBytes += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
  };
  pump();
}

describe('a peer whose status line never ends', () => {
  it('is cut off at 64 KiB with one log line, never retried, and the hub keeps memory and users', async () => {
    await waitFor(() => attacker.watchRequests === 1, { message: 'one status watch request from the hub', timeoutMs: 20_000 });
    for (let index = 0; index < 5; index += 1) expect(await postMessage(setup.hub)).toBe(200);
    const baseline = await residentBytes(setup.hub.pid);

    release();
    const peak = await untilWithBoundedMemory(setup.hub.pid, baseline, MAX_RSS_GROWTH, () => attack.isClosed, 90_000);
    console.log(
      `status-line attack: hub RSS growth peak ${(peak / MiB).toFixed(1)} MiB, attacker queued ${(attack.sentBytes / MiB).toFixed(1)} MiB`,
    );

    expect(await postMessage(setup.hub)).toBe(200);
    // A refused peer would be asked again within 1.5 s (the first backoff step) if it were
    // retried; this window is the only way to see that nothing comes.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    for (let index = 0; index < 5; index += 1) expect(await postMessage(setup.hub)).toBe(200);
    expect(attacker.watchRequests).toBe(1);
    const stopped = logLines(setup.hub.logs, 'peer status stream stopped');
    expect(stopped).toHaveLength(1);
    expect(String(stopped[0]?.problem)).toContain('longer than 65536 bytes');
    expect((await residentBytes(setup.hub.pid)) - baseline).toBeLessThan(MAX_RSS_GROWTH);
  });
});
