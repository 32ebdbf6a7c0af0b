/**
 * The service a sing-box CCM/OCM node runs behind its reverse tunnel or its url, as our nodes
 * see it (SagerNet/sing-box `service/ccm/service_handler.go`, `service_status.go`): Bearer user
 * auth, the five-key NDJSON status watch, X-CCM-Plan-Weight, Codex WebSockets at /v1/responses.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';
import type { Service, SingBoxStatus } from './sing-box-peer.ts';

/**
 * What a sing-box node's CCM/OCM service does with our requests (down a tunnel or over its url):
 * each must carry a user's token (`token`); the status watch is NDJSON of the five keys;
 * `missingStatus` services answer 404 there, as a node without that service would.
 */
export function singBoxService(options: { token: string; status: SingBoxStatus; missingStatus?: Service[]; headerPlanWeight?: number }) {
  const { status } = options;
  const token = options.token;
  const seen: Array<{ host: string | undefined; authorization: string | undefined; path: string }> = [];
  const webSockets = new WebSocketServer({ noServer: true });
  const server = http.createServer((request, response) => {
    seen.push({ host: request.headers.host, authorization: request.headers.authorization, path: request.url ?? '' });
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"type":"error"}\n');
      return;
    }
    const statusOf = /^\/(ccm|ocm)\/v1\/status\?watch=true$/.exec(request.url ?? '')?.[1] as Service | undefined;
    if (statusOf !== undefined && options.missingStatus?.includes(statusOf)) {
      response.writeHead(404).end('404 page not found\n');
      return;
    }
    if (statusOf !== undefined) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`${JSON.stringify(status)}\n`);
      return;
    }
    if (request.method === 'POST' && request.url === '/v1/messages') {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, {
          'content-type': 'application/json',
          'anthropic-ratelimit-unified-5h-utilization': '0.200000',
          'anthropic-ratelimit-unified-7d-utilization': '0.300000',
          'x-ccm-plan-weight': String(options.headerPlanWeight ?? status.plan_weight),
        });
        response.end(
          JSON.stringify({ id: 'msg_sb', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'from sing-box' }] }),
        );
      });
      return;
    }
    response.writeHead(404).end();
  });
  server.on('upgrade', (request, socket, head) => {
    seen.push({ host: request.headers.host, authorization: request.headers.authorization, path: request.url ?? '' });
    if (request.url !== '/v1/responses' || request.headers.authorization !== `Bearer ${token}`) return socket.destroy();
    webSockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data) => {
        const event = JSON.parse(data.toString()) as { type: string };
        if (event.type !== 'response.create') return;
        ws.send(JSON.stringify({ type: 'response.created', response: { id: 'resp_sb' } }));
        ws.send(JSON.stringify({ type: 'response.completed', response: { id: 'resp_sb', status: 'completed', usage: {} } }));
      });
    });
  });
  return { server, seen };
}
