/** Opens an upstream WebSocket and reports either the open socket or why it was refused. */
import type { Agent, OutgoingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { readSmallBody } from './small-body.ts';

type Headers = Record<string, string | string[] | undefined>;

/** An answer for failover.ts: an open socket reads as 200, a refused handshake as its status. */
export type UpstreamConnection =
  { kind: 'open'; status: 200; socket: WebSocket; headers: Headers } | { kind: 'refused'; status: number; headers: Headers; body: Buffer };

/** Resolves with the open socket or the refusal; throws on a transport failure (no HTTP answer). */
export function connectUpstream(url: string, headers: OutgoingHttpHeaders, agent: Agent | undefined): Promise<UpstreamConnection> {
  return new Promise((resolve, reject) => {
    const stringHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) stringHeaders[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const socket = new WebSocket(url, {
      headers: stringHeaders,
      agent,
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
      maxPayload: 64 * 1024 * 1024,
    });
    let upgradeHeaders: Headers = {};
    socket.once('upgrade', (response) => {
      upgradeHeaders = response.headers;
    });
    socket.once('open', () => resolve({ kind: 'open', status: 200, socket, headers: upgradeHeaders }));
    socket.once('unexpected-response', (_request, response) => {
      void readSmallBody(response).then((body) => {
        resolve({ kind: 'refused', status: response.statusCode ?? 502, headers: response.headers, body });
        socket.terminate();
      });
    });
    socket.once('error', reject);
  });
}
