/**
 * Garbage on `/v1/tunnel` after a valid, signed upgrade (issue 8): the node answers a protocol
 * violation with a GoAway carrying the protocol-error code and closes that session; its other
 * tunnel (the laptop's) and its HTTP surface carry on as if nothing happened.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GoAwayCode, FrameType, Flag } from '../../../src/tunnel/yamux/frame.ts';
import { encodeFrame } from '../../../src/tunnel/yamux/encode.ts';
import { startMesh, tunnelUp, TOKENS, type Mesh } from '../../helpers/mesh-harness.ts';
import { healthz, rawRequest } from './raw-http.ts';
import { openProbe, type TunnelProbe } from './tunnel-probe.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const PROBE_TOKEN = 'probe-peer-token-0123456789-abcd';
/** The mesh harness's tunnel keepalive timeout; waits allow ten times it. */
const KEEPALIVE_TIMEOUT_MS = 1000;

let mesh: Mesh;
const probes: TunnelProbe[] = [];
beforeAll(async () => {
  mesh = await startMesh({ hubExtra: { peers: [{ name: 'probe', token: PROBE_TOKEN }] } });
  await tunnelUp(mesh.hub, 'laptop');
});
afterEach(() => {
  for (const probe of probes.splice(0)) probe.close();
});
afterAll(async () => {
  await mesh?.close();
});

async function linkedProbe(): Promise<TunnelProbe> {
  const probe = await openProbe(mesh.hub.url, { token: PROBE_TOKEN });
  probes.push(probe);
  await waitFor(() => mesh.hub.isTunnelUp('probe'), 'the probe tunnel to come up');
  return probe;
}

async function expectHubUnaffected(): Promise<void> {
  expect(mesh.hub.isTunnelUp('laptop')).toBe(true);
  expect(await healthz(mesh.hub.url)).toBe(true);
  const answer = await rawRequest(mesh.hub.url, {
    method: 'POST',
    path: '/v1/messages',
    headers: [
      ['authorization', `Bearer ${TOKENS.alice}`],
      ['content-type', 'application/json'],
    ],
    body: Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })),
  });
  expect(answer !== 'closed' && answer.status).toBe(200);
}

async function expectProtocolErrorClose(probe: TunnelProbe): Promise<void> {
  await waitFor(() => probe.isClosed, { message: 'the hub to close the probe', timeoutMs: 10 * KEEPALIVE_TIMEOUT_MS });
  expect(probe.goAways).toContain(GoAwayCode.ProtocolError);
  await waitFor(() => !mesh.hub.isTunnelUp('probe'), 'the hub to drop the probe tunnel');
}

describe('garbage on an authenticated tunnel', () => {
  it('random bytes with a bad version byte: GoAway(protocol error), closed, hub unaffected', async () => {
    const garbage = fc
      .tuple(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 2048 }))
      .map(([version, rest]) => Buffer.from([version, ...rest]));
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const probe = await linkedProbe();
        probe.send(bytes);
        await expectProtocolErrorClose(probe);
      }),
      { numRuns: 25 },
    );
    await expectHubUnaffected();
  });

  it('any random bytes, split over several messages: the node survives and stays healthy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 600 }), { minLength: 1, maxLength: 6 }), async (messages) => {
        const probe = await linkedProbe();
        for (const message of messages) probe.send(Buffer.from(message));
        // Some byte strings are valid frames; either way a ping must still round-trip or the session end.
        probe.send(encodeFrame({ type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: 7 }));
        expect(await healthz(mesh.hub.url)).toBe(true);
        probe.close();
        await waitFor(() => !mesh.hub.isTunnelUp('probe'), {
          message: 'the hub to drop the probe tunnel',
          timeoutMs: 10 * KEEPALIVE_TIMEOUT_MS,
        });
      }),
      { numRuns: 30 },
    );
    await expectHubUnaffected();
  });

  it('a data frame announcing 4 GiB: GoAway(protocol error) at once, nothing buffered', async () => {
    const probe = await linkedProbe();
    const header = Buffer.alloc(12);
    header.writeUInt8(FrameType.Data, 1);
    header.writeUInt16BE(Flag.SYN, 2);
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(0xffff_ffff, 8);
    probe.send(header);
    await expectProtocolErrorClose(probe);
    await expectHubUnaffected();
  });

  it('a truncated header and then silence: the session dies of keepalive, hub unaffected', async () => {
    const probe = await linkedProbe();
    probe.answersPings = false;
    probe.send(encodeFrame({ type: FrameType.WindowUpdate, flags: 0, streamId: 1, length: 10 }).subarray(0, 5));
    await waitFor(() => probe.isClosed, { message: 'the hub to close the probe', timeoutMs: 10 * KEEPALIVE_TIMEOUT_MS });
    await waitFor(() => !mesh.hub.isTunnelUp('probe'), 'the hub to drop the probe tunnel');
    await expectHubUnaffected();
  });

  it('a text message instead of binary: closed, hub unaffected', async () => {
    const probe = await linkedProbe();
    probe.ws.send('GET / HTTP/1.1\r\n\r\n');
    await waitFor(() => probe.isClosed, { message: 'the hub to close the probe', timeoutMs: 10 * KEEPALIVE_TIMEOUT_MS });
    await waitFor(() => !mesh.hub.isTunnelUp('probe'), 'the hub to drop the probe tunnel');
    await expectHubUnaffected();
  });

  it('a WebSocket message over the tunnel limit: closed with 1009, hub unaffected', async () => {
    const probe = await linkedProbe();
    probe.send(Buffer.alloc(4 * 1024 * 1024 + 1));
    await waitFor(() => probe.isClosed, { message: 'the hub to close the probe', timeoutMs: 10 * KEEPALIVE_TIMEOUT_MS });
    expect(probe.closeCode).toBe(1009);
    await waitFor(() => !mesh.hub.isTunnelUp('probe'), 'the hub to drop the probe tunnel');
    await expectHubUnaffected();
  });
});
