/**
 * wss with a private CA. The fixture is a self-signed test-only certificate for 127.0.0.1 and
 * localhost (100-year validity, `openssl req -x509 -newkey ec ...`); it protects nothing.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTunnelAcceptor,
  createTunnelDialer,
  type TunnelAcceptor,
  type TunnelDialer,
  type YamuxSession,
} from '../../../src/tunnel/index.ts';
import { LINK_TOKEN } from './mesh.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const cert = readFileSync(new URL('./fixtures/localhost-cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/localhost-key.pem', import.meta.url));

let server: https.Server | undefined;
let acceptor: TunnelAcceptor | undefined;
let dialer: TunnelDialer | undefined;
let accepted: YamuxSession | undefined;
afterEach(async () => {
  await dialer?.close();
  await acceptor?.close();
  accepted?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  [server, acceptor, dialer, accepted] = [undefined, undefined, undefined, undefined];
});

async function startTlsAcceptor(): Promise<number> {
  const created = createTunnelAcceptor({
    peers: () => [{ name: 'laptop', token: LINK_TOKEN }],
    onSession: (_peer, session) => (accepted = session),
  });
  acceptor = created;
  server = https.createServer({ cert, key });
  server.on('upgrade', (request, socket, head) => created.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('tunnel over TLS', () => {
  it('dials wss:// for an https url and trusts a given CA', async () => {
    const port = await startTlsAcceptor();
    // The laptop side echoes whatever the hub sends on a stream it opens.
    const echo = (_peer: string, session: YamuxSession): void => void session.on('stream', (stream) => stream.pipe(stream));
    dialer = createTunnelDialer({ url: `https://127.0.0.1:${port}`, nodeName: 'laptop', token: LINK_TOKEN, ca: cert, onSession: echo });
    await waitFor(() => accepted !== undefined && dialer!.state === 'connected', 'tunnel over TLS');
    const stream = accepted!.openStream();
    let echoed = '';
    stream.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    stream.end('across the TLS tunnel');
    await waitFor(() => echoed === 'across the TLS tunnel', 'the echo from the laptop side');
  });

  it('refuses a certificate it was not told to trust', async () => {
    const port = await startTlsAcceptor();
    const causes: string[] = [];
    dialer = createTunnelDialer({ url: `https://127.0.0.1:${port}`, nodeName: 'laptop', token: LINK_TOKEN, onSession: () => {} });
    dialer.on('waiting', (_delayMs, cause) => causes.push(cause.kind));
    await waitFor(() => causes.length === 1, 'the dial to fail');
    expect(causes).toEqual(['dial_failed']);
    expect(accepted).toBeUndefined();
  });
});
