/**
 * Issue 11, item 10, against a hub process: a connector that signs another node's name is logged
 * by the peer its token belongs to (never by the name it claims); a tunnel stream may not upgrade
 * to /v1/tunnel again; and the per-node `tunnel.max_streams` bounds what a peer may hold open.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAuthorization, TUNNEL_SUBPROTOCOL, type YamuxSession } from '../../../src/tunnel/index.ts';
import { logLines } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { ADMIN, linkFakePeer, postMessage, startHubProcess, USER, type FakePeer, type HubSetup } from './peer-harness.ts';

const TOKEN = 'impostor-peer-token-0123456789-a';
const MAX_STREAMS = 8;

let setup: HubSetup;
let peer: FakePeer;

beforeAll(async () => {
  setup = await startHubProcess(({ simUrl, tokenUrl, hubPath, dir }) => ({
    name: 'hub',
    listen: '127.0.0.1:0',
    state_dir: `${dir}/hub-state`,
    admin_token: ADMIN,
    users: [{ name: 'alice', token: USER }],
    peers: [{ name: 'impostor', token: TOKEN, share: { claude: 'hub-a' } }],
    tunnel: { max_streams: MAX_STREAMS },
    claude: { api_url: simUrl, oauth_url: tokenUrl, credentials: [{ tag: 'hub-a', type: 'default', path: hubPath }] },
  }));
  peer = linkFakePeer({ hubUrl: setup.hub.url, name: 'impostor', nodeName: 'hub', token: TOKEN, onWatch: (response) => response.end() });
  await waitFor(() => peer.dialer.session !== undefined && logLines(setup.hub.logs, 'tunnel accepted').length === 1, {
    message: 'the tunnel to be accepted',
    timeoutMs: 20_000,
  });
});

afterAll(async () => {
  await peer?.kill();
  await setup?.close([TOKEN]);
});

/** Writes `head` on a new stream of `session` and resolves with the first response line, or the error. */
function exchange(session: YamuxSession, head: string): Promise<{ stream: Duplex; statusLine: string }> {
  const stream = session.openStream();
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end >= 0) resolve({ stream, statusLine: text.slice(0, end) });
    });
    stream.once('error', reject);
    stream.once('end', () => reject(new Error(`stream ended after ${JSON.stringify(text)}`)));
    stream.write(head);
  });
}

describe('who a connector is', () => {
  it('is the peer its token belongs to; the signed name appears only as a claim', () => {
    const accepted = logLines(setup.hub.logs, 'tunnel accepted');
    expect(accepted[0]).toMatchObject({ peer: 'impostor' });
    expect(accepted[0]).not.toHaveProperty('node');
    const mismatch = logLines(
      setup.hub.logs,
      'connector signs a node name other than the peer its token belongs to; it is known here by the peer name',
    );
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]).toMatchObject({ peer: 'impostor', claimedNode: 'hub' });
    // No line names the impostor by the name it claimed.
    for (const line of setup.hub.logs) expect(JSON.parse(line)).not.toHaveProperty('node', 'hub');
  });
});

describe('a tunnel inside a tunnel', () => {
  it('is refused with 400, even with a valid signature, and the peer keeps its tunnel', async () => {
    const session = peer.dialer.session;
    if (session === undefined) throw new Error('no tunnel');
    const authorization = signAuthorization({ node: 'impostor', token: TOKEN, nowMs: Date.now() });
    const head = [
      'GET /v1/tunnel HTTP/1.1',
      'Host: hub',
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      `Sec-WebSocket-Protocol: ${TUNNEL_SUBPROTOCOL}`,
      `Authorization: ${authorization}`,
      '',
      '',
    ].join('\r\n');
    const { statusLine, stream } = await exchange(session, head);
    stream.destroy();
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    // The hub's log arrives over a pipe, after the answer may have.
    await waitFor(() => logLines(setup.hub.logs, 'refused a tunnel upgrade arriving through a tunnel').length === 1, {
      message: 'the nested tunnel upgrade refusal log line',
    });
    expect(session.isClosed).toBe(false);
    expect(await postMessage(setup.hub)).toBe(200);
  });
});

describe('tunnel.max_streams from the config', () => {
  it('holds the peer to that many open streams; the next one is reset, and the rest keep working', async () => {
    const session = peer.dialer.session;
    if (session === undefined) throw new Error('no tunnel');
    const request = 'GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n';
    const held = await Promise.all(Array.from({ length: MAX_STREAMS }, () => exchange(session, request)));
    expect(held.map(({ statusLine }) => statusLine)).toEqual(Array(MAX_STREAMS).fill('HTTP/1.1 200 OK'));
    await expect(exchange(session, request)).rejects.toMatchObject({ code: 'stream_reset' });
    for (const { stream } of held) stream.destroy();
    await waitFor(
      async () =>
        (await exchange(session, request)
          .then(({ stream, statusLine }) => (stream.destroy(), statusLine))
          .catch(() => '')) === 'HTTP/1.1 200 OK',
      { message: 'a stream to answer 200 again' },
    );
  });
});
