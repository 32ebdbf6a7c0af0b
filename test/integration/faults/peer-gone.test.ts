/**
 * Issue 13 item 11: a response cut half-way is recorded with who cut it. A peer that dies
 * mid-stream used to be recorded as 499 (client closed) on the node relaying it; now that line
 * says 502 `peer_gone`, a vendor cutting the stream says `upstream_gone`, and only a client that
 * goes away is 499 `client_gone`.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { hubServesThroughLaptop, postMessage, startHubAndLaptop, STREAM, type HubAndLaptop } from './hub-process.ts';

async function firstBytes(response: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  if (response.status !== 200 || response.body === null) throw new Error(`stream answered ${response.status}`);
  const reader = response.body.getReader();
  if ((await reader.read()).done) throw new Error('stream ended before its first event');
  return reader;
}

async function drained(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  for (;;) {
    const { done } = await reader.read();
    if (done) return;
  }
}

describe('a peer dies mid-stream', () => {
  let setup: HubAndLaptop | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  it('the hub records 502 peer_gone, not 499', async () => {
    setup = await startHubAndLaptop();
    await hubServesThroughLaptop(setup.hub);
    setup.sim.script({ fault: { type: 'stall', afterEvents: 2 } });
    const reader = await firstBytes(await postMessage(setup.hub.url));
    const ended = drained(reader).then(
      () => 'ended',
      () => 'error',
    );
    await setup.laptop.close();
    await ended;
    await waitFor(async () => (await setup!.hubLedger()).some((line) => line.user === 'alice'), "the hub's ledger line for alice");
    const line = (await setup.hubLedger()).find((candidate) => candidate.user === 'alice');
    expect(line).toMatchObject({ credential: 'laptop', status: 502, outcome: 'peer_gone' });
  }, 60_000);
});

describe('a vendor or a client cuts a stream', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function ledger(): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(harness!.node.ledgerPath, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it('the vendor cutting it is 502 upstream_gone; the client leaving is 499 client_gone', async () => {
    harness = await startHarness({ chunkDelayMs: 5 });
    const post = (signal?: AbortSignal) =>
      fetch(`${harness!.node.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${harness!.userToken}`, 'content-type': 'application/json' },
        body: STREAM,
        signal,
      });
    harness.sim.script({ fault: { type: 'cut', afterEvents: 2 } });
    await drained(await firstBytes(await post())).catch(() => undefined);
    await waitFor(async () => (await ledger()).length === 1, 'the cut request is recorded');
    expect((await ledger())[0]).toMatchObject({ status: 502, outcome: 'upstream_gone' });

    harness.sim.script({ fault: { type: 'stall', afterEvents: 2 } });
    const abort = new AbortController();
    await firstBytes(await post(abort.signal));
    abort.abort();
    await waitFor(async () => (await ledger()).length === 2, 'the abandoned request is recorded');
    expect((await ledger())[1]).toMatchObject({ status: 499, outcome: 'client_gone' });
  }, 60_000);
});
