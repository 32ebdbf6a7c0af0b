import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketDuplex, tunnelWebSocketOptions, zeroMask } from '../../../src/tunnel/ws-duplex.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let server: WebSocketServer | undefined;
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function serve(onConnection: (ws: WebSocket) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...tunnelWebSocketOptions });
  server.on('connection', onConnection);
  await new Promise((resolve) => server!.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function connect(url: string): WebSocketDuplex {
  const ws = new WebSocket(url, { ...tunnelWebSocketOptions, generateMask: zeroMask });
  clients.push(ws);
  return new WebSocketDuplex(ws);
}

describe('WebSocket duplex', () => {
  it('keeps a message the server sends together with the 101', async () => {
    const url = await serve((ws) => ws.send(Buffer.from('first frame'), { binary: true }));
    const duplex = connect(url);
    const first = await new Promise<Buffer>((resolve) => duplex.once('data', resolve));
    expect(first.toString()).toBe('first frame');
  });

  it('carries bytes both ways, merging and splitting messages at will', async () => {
    const url = await serve((ws) => {
      const echo = new WebSocketDuplex(ws);
      echo.pipe(echo);
    });
    const duplex = connect(url);
    const received: Buffer[] = [];
    duplex.on('data', (chunk: Buffer) => received.push(chunk));
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 5);
    duplex.cork();
    duplex.write('a');
    duplex.write(payload);
    duplex.write('z');
    duplex.uncork();
    await waitFor(() => received.reduce((sum, chunk) => sum + chunk.length, 0) === payload.length + 2, 'the echo');
    const echoed = Buffer.concat(received);
    expect([echoed[0], echoed[echoed.length - 1]]).toEqual([0x61, 0x7a]);
  });

  it('treats a text message as a protocol error', async () => {
    const url = await serve((ws) => ws.send('not binary'));
    const duplex = connect(url);
    const error = await new Promise<Error>((resolve) => duplex.once('error', resolve));
    expect(error).toMatchObject({ code: 'protocol_error' });
  });

  it('ends the readable side when the WebSocket closes', async () => {
    const url = await serve((ws) => ws.close(1000));
    const duplex = connect(url);
    duplex.resume();
    await new Promise((resolve) => duplex.once('end', resolve));
  });
});
