/** Opens the upstream Codex WebSocket and reports either the open socket or why it was refused. */
import type { Agent, OutgoingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { readSmallBody } from './small-body.ts';

export type UpstreamConnection =
  | { kind: 'open'; socket: WebSocket; headers: Record<string, string | string[] | undefined> }
  | { kind: 'refused'; status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

export function connectUpstream(url: string, headers: OutgoingHttpHeaders, agent: Agent | undefined): Promise<UpstreamConnection> {
  return new Promise((resolve) => {
    const stringHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) stringHeaders[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const socket = new WebSocket(url, { headers: stringHeaders, agent, perMessageDeflate: false, handshakeTimeout: 30_000, maxPayload: 64 * 1024 * 1024 });
    let upgradeHeaders: Record<string, string | string[] | undefined> = {};
    socket.once('upgrade', (response) => {
      upgradeHeaders = response.headers;
    });
    socket.once('open', () => resolve({ kind: 'open', socket, headers: upgradeHeaders }));
    socket.once('unexpected-response', (_request, response) => {
      void readSmallBody(response).then((body) => {
        resolve({ kind: 'refused', status: response.statusCode ?? 502, headers: response.headers, body });
        socket.terminate();
      });
    });
    socket.once('error', (error) => resolve({ kind: 'refused', status: 0, headers: {}, body: Buffer.from(error.message) }));
  });
}
