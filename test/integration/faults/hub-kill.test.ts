/**
 * The hub's process dies (SIGKILL, no GoAway) while 100 SSE streams run through the tunnel. The
 * clients must not hang, the laptop must let go of every stream it served, and it must re-link
 * to a new hub on the same port by itself, without a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { forkNode } from '../../helpers/node-process.ts';
import { tunnelUp } from '../../helpers/mesh-harness.ts';
import { hubServesThroughLaptop, metric, postMessage, startHubAndLaptop, TUNNEL, type HubAndLaptop } from './hub-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const STREAMS = 100;

type Outcome = 'pending' | 'ended' | 'error';

/** Starts one stream; resolves once its first bytes arrived, with a live view of how it ended. */
async function openStream(url: string): Promise<{ outcome: () => Outcome }> {
  let outcome: Outcome = 'pending';
  const response = await postMessage(url);
  if (response.status !== 200 || response.body === null) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
  const reader = response.body.getReader();
  const first = await reader.read();
  if (first.done) throw new Error('stream ended before its first event');
  void (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return 'ended' as const;
    }
  })().then(
    (ended) => (outcome = ended),
    () => (outcome = 'error'),
  );
  return { outcome: () => outcome };
}

describe('hub killed with SIGKILL mid-stream', () => {
  let setup: HubAndLaptop | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  it('ends every client stream, frees the laptop, and re-links to a new hub on the same port', async () => {
    setup = await startHubAndLaptop();
    const { sim, laptop } = setup;
    await hubServesThroughLaptop(setup.hub);
    const baselineStreams = await metric(laptop, 'quotamesh_tunnel_open_streams{peer="hub"}');
    // Every stream sends two events and then hangs: all 100 are mid-stream when the hub dies.
    sim.script({ fault: { type: 'stall', afterEvents: 2 }, times: STREAMS });
    const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(setup!.hub.url)));
    expect(await metric(laptop, 'quotamesh_tunnel_open_streams{peer="hub"}')).toBeGreaterThanOrEqual(STREAMS);
    // Ready before the kill, so the new hub is not waiting for tsx to load.
    const replacement = forkNode();

    setup.hub.kill('SIGKILL');
    expect((await setup.hub.exited).signal).toBe('SIGKILL');
    // Transport loss is seen at once; the keepalive timeout is the bound for a silent peer.
    const boundMs = TUNNEL.keepaliveTimeoutMs * 5;
    await waitFor(() => streams.every((stream) => stream.outcome() !== 'pending'), {
      message: 'every client stream to end',
      timeoutMs: boundMs,
    });
    expect(streams.map((stream) => stream.outcome()).filter((outcome) => outcome === 'pending')).toEqual([]);
    await waitFor(() => !laptop.isTunnelUp('hub'), { message: 'the laptop to see the tunnel down', timeoutMs: boundMs });
    // The laptop finished (and recorded) every request it was serving for the hub: none leaked.
    await waitFor(async () => (await setup!.laptopLedger()).filter((line) => line.peer === 'hub').length === STREAMS, {
      message: `the laptop ledger to record ${STREAMS} hub requests`,
      timeoutMs: boundMs,
    });
    const ledger = (await setup.laptopLedger()).filter((line) => line.peer === 'hub');
    expect(new Set(ledger.map((line) => line.status))).toEqual(new Set([499]));
    expect(await metric(laptop, 'quotamesh_tunnel_open_streams{peer="hub"}')).toBe(0);

    const hub = await setup.startHub(replacement);
    await tunnelUp(laptop, 'hub');
    await hubServesThroughLaptop(hub);
    expect(await metric(laptop, 'quotamesh_tunnel_reconnects_total{peer="hub"}')).toBe(1);
    // Streams of finished requests are released or kept as idle keep-alive connections that the
    // next batch reuses: the count settles and does not grow from batch to batch.
    const openAfterBatch = async (): Promise<number> => {
      const responses = await Promise.all(Array.from({ length: 5 }, () => postMessage(hub.url)));
      expect(responses.map((response) => response.status)).toEqual(Array(5).fill(200));
      for (const response of responses) expect(await response.text()).toContain('message_stop');
      const settled = async (): Promise<number | undefined> => {
        const open = await metric(laptop, 'quotamesh_tunnel_open_streams{peer="hub"}');
        return open !== undefined && open <= (baselineStreams ?? 0) + 5 ? open : undefined;
      };
      return waitFor(settled, { message: 'the laptop open-stream gauge to settle', timeoutMs: boundMs });
    };
    const first = await openAfterBatch();
    expect(await openAfterBatch()).toBe(first);
  });
});
