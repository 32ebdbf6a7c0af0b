/**
 * A linked peer that floods pings and never reads its socket, against a real hub process: each
 * ping asks for a pong the peer will not take. The hub must stop reading that peer instead of
 * queueing pongs (its RSS stays within a few tens of MiB), keep serving its local user, and a
 * peer answering our pings blindly (guessed opaque values) must not be counted alive.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { Flag, FrameType, HEADER_LENGTH } from '../../../src/tunnel/yamux/frame.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { logLines, type NodeProcess } from '../../helpers/node-process.ts';
import { hubServesThroughLaptop, postMessage, startHubAndLaptop, TUNNEL, type HubAndLaptop } from '../faults/hub-process.ts';
import { openProbe, type TunnelProbe } from './tunnel-probe.ts';

const PROBE_TOKEN = 'flood-probe-token-0123456789-abc';
const MiB = 1024 * 1024;

let setup: HubAndLaptop | undefined;
let probe: TunnelProbe | undefined;
afterEach(async () => {
  probe?.close();
  probe = undefined;
  await setup?.close();
  setup = undefined;
});

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kiloBytes = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
  return kiloBytes / 1024;
}

async function linkedProbe(hub: NodeProcess): Promise<TunnelProbe> {
  const linked = await openProbe(hub.url, { node: 'probe', token: PROBE_TOKEN });
  await waitFor(() => logLines(hub.logs, 'tunnel accepted').some((line) => line.peer === 'probe'), {
    message: 'the probe tunnel to be accepted',
    timeoutMs: 15_000,
  });
  return linked;
}

/** `count` ping frames in one buffer, opaque values counting from `first`. */
function pings(count: number, first: number): Buffer {
  const frames = Buffer.allocUnsafe(count * HEADER_LENGTH);
  for (let index = 0; index < count; index++) {
    encodeFrame({ type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: (first + index) >>> 0 }).copy(frames, index * HEADER_LENGTH);
  }
  return frames;
}

async function expectLocalUserServed(hub: NodeProcess): Promise<void> {
  const response = await postMessage(hub.url);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('message_stop');
}

describe('a peer flooding pings', () => {
  it('offering 128 MiB of pings while not reading: the hub stops reading it, stays small, serves its user', async () => {
    // Keepalive as in production, so the flood is not cut short by a missing pong.
    setup = await startHubAndLaptop({
      extraPeers: [{ name: 'probe', token: PROBE_TOKEN }],
      hubTunnel: { keepaliveIntervalMs: 15_000, keepaliveTimeoutMs: 30_000 },
    });
    const { hub } = setup;
    await hubServesThroughLaptop(hub);
    await expectLocalUserServed(hub);
    probe = await linkedProbe(hub);
    const before = await rssMiB(hub.pid);

    probe.ws.pause();
    const message = pings(Math.floor(MiB / HEADER_LENGTH), 1);
    let offered = 0;
    let peakMiB = before;
    let stalledSince: number | undefined;
    // Offer up to 128 MiB; the hub has stopped reading once its side sits unread for 3 s.
    while (offered < 128 * MiB && !probe.isClosed) {
      if (probe.ws.bufferedAmount < 8 * MiB) {
        probe.send(message);
        offered += message.length;
        stalledSince = undefined;
      } else {
        stalledSince ??= Date.now();
        if (Date.now() - stalledSince > 3_000) break;
      }
      await new Promise((resolve) => setImmediate(resolve));
      if (offered % (16 * MiB) < message.length) peakMiB = Math.max(peakMiB, await rssMiB(hub.pid));
    }
    const taken = offered - probe.ws.bufferedAmount;
    await expectLocalUserServed(hub);
    peakMiB = Math.max(peakMiB, await rssMiB(hub.pid));
    console.log(
      `ping flood: offered ${(offered / MiB).toFixed(0)} MiB, hub took ${(taken / MiB).toFixed(0)} MiB; hub RSS ${before.toFixed(0)} → peak ${peakMiB.toFixed(0)} MiB`,
    );
    expect(probe.isClosed).toBe(false);
    expect(taken).toBeLessThan(offered);
    expect(peakMiB - before).toBeLessThan(64);
    expect(logLines(hub.logs, 'peer is not reading the tunnel; pausing reads from it').some((line) => line.peer === 'probe')).toBe(true);

    probe.close();
    await expectLocalUserServed(hub);
  }, 180_000);

  it('blind pongs with guessed values do not keep a peer that does not answer alive', async () => {
    setup = await startHubAndLaptop({ extraPeers: [{ name: 'probe', token: PROBE_TOKEN }] });
    const { hub } = setup;
    await hubServesThroughLaptop(hub);
    probe = await linkedProbe(hub);
    probe.answersPings = false;
    const blindProbe = probe;
    // Small counters are what a sequential opaque would be; a few thousand guesses per tick.
    let next = 0;
    const timer = setInterval(
      () =>
        blindProbe.send(
          Buffer.concat(
            Array.from({ length: 2000 }, () => encodeFrame({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: next++ % 4096 })),
          ),
        ),
      20,
    );
    try {
      await waitFor(() => blindProbe.isClosed, { message: 'the blind-pong peer to be dropped', timeoutMs: 20 * TUNNEL.keepaliveTimeoutMs });
    } finally {
      clearInterval(timer);
    }
    await waitFor(
      () =>
        logLines(hub.logs, 'tunnel session ended').some(
          (line) => line.peer === 'probe' && JSON.stringify(line.err).includes('keepalive_timeout'),
        ),
      'a keepalive_timeout log line for the probe',
    );
    await expectLocalUserServed(hub);
  }, 120_000);
});
