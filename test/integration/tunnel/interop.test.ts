/**
 * Our yamux against yamux-js (a port of hashicorp's) over a real tunnel WebSocket: the frames are
 * the same protocol. yamux-js 0.2.0 neither sends nor honours FIN, so the exchange is judged by
 * the bytes that arrive, not by stream ends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { Server as YamuxJsServer } from 'yamux-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TUNNEL_SUBPROTOCOL,
  createTunnelAcceptor,
  signAuthorization,
  type TunnelAcceptor,
  type YamuxSession,
  type YamuxStream,
} from '../../../src/tunnel/index.ts';
import { WebSocketDuplex } from '../../../src/tunnel/ws-duplex.ts';
import { FrameDecoder } from '../../../src/tunnel/yamux/decode.ts';
import { Flag, FrameType } from '../../../src/tunnel/yamux/frame.ts';
import { LINK_TOKEN } from './mesh.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function collect(stream: Duplex): { text: () => string } {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { text: () => text };
}

/** The opaque values of the Ping frames with `flag` that pass on one direction of the wire. */
function pingsOn(direction: Duplex, flag: number): number[] {
  const decoder = new FrameDecoder({ maxDataLength: 16 * 1024 * 1024 });
  const opaques: number[] = [];
  direction.on('data', (chunk: Buffer) =>
    decoder.push(chunk, (frame) => frame.type === FrameType.Ping && frame.flags === flag && opaques.push(frame.length)),
  );
  return opaques;
}

describe('yamux interop', () => {
  it('exchanges data both ways with a yamux-js session over the tunnel WebSocket', async () => {
    let ours: YamuxSession | undefined;
    const acceptor: TunnelAcceptor = createTunnelAcceptor({
      peers: () => [{ name: 'laptop', token: LINK_TOKEN }],
      onSession: (_peer, session) => (ours = session),
    });
    const server = http.createServer();
    server.on('upgrade', (request, socket, head) => acceptor.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () => new Promise((resolve) => server.close(resolve)),
      () => server.closeAllConnections(),
      () => ours?.destroy(),
    );

    // The connector side, built from yamux-js: it echoes every stream we open, prefixed.
    const theirs = new YamuxJsServer((stream) => stream.on('data', (chunk: Buffer) => stream.write(`js:${chunk.toString()}`)), {
      enableKeepAlive: false,
      logger: () => {},
    });
    theirs.on('error', () => {});
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/tunnel`, [TUNNEL_SUBPROTOCOL], {
      headers: { authorization: signAuthorization({ node: 'laptop', token: LINK_TOKEN, nowMs: Date.now() }) },
    });
    const transport = new WebSocketDuplex(ws);
    transport.on('error', () => {});
    const oursPinged = pingsOn(transport, Flag.SYN);
    const theirsAnswered = pingsOn(theirs, Flag.ACK);
    transport.pipe(theirs).pipe(transport);
    cleanup.push(() => transport.destroy());
    await waitFor(() => ours !== undefined, 'our session');

    // Ours → yamux-js.
    const outbound = ours!.openStream();
    const outboundReply = collect(outbound);
    outbound.on('error', () => {});
    outbound.write('hello from quotamesh');
    await waitFor(() => outboundReply.text() === 'js:hello from quotamesh', 'the yamux-js echo');

    // yamux-js → ours.
    const accepted = new Promise<YamuxStream>((resolve) => ours!.once('stream', resolve));
    const inbound = theirs.open();
    const inboundReply = collect(inbound);
    const stream = await (inbound.write('hello from yamux-js'), accepted);
    stream.on('error', () => {});
    const received = collect(stream);
    await waitFor(() => received.text() === 'hello from yamux-js', 'data from yamux-js');
    stream.write('ours:ok');
    await waitFor(() => inboundReply.text() === 'ours:ok', 'our reply at yamux-js');

    // Pings cross too: yamux-js answers each of ours (the acceptor's handshake ping, then this
    // one) with its opaque value echoed.
    const pingsBefore = oursPinged.length;
    await ours!.ping();
    expect(oursPinged).toHaveLength(pingsBefore + 1);
    expect(theirsAnswered).toEqual(oursPinged);
    await acceptor.close();
  });
});
