/**
 * A webhook receiver on 127.0.0.1:0 for the alert tests: records every POST (raw body, headers)
 * and answers what the test says: 200, a status, or nothing until released.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedAlert {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
}

export interface AlertReceiverServer {
  url: string;
  /** Every POST, in the order they arrived (retries included). */
  received: ReceivedAlert[];
  /** The `event` names received, in order. */
  events(): string[];
  /** What to answer from now on: a status, or `hold` (no answer until release()). */
  answer(mode: number | 'hold'): void;
  /** Answers every held request with 200. */
  release(): void;
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiverServer> {
  const received: ReceivedAlert[] = [];
  const held: ServerResponse[] = [];
  let mode: number | 'hold' = 200;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        // recorded as sent; the test's assertions on body will fail
      }
      received.push({ headers: request.headers, rawBody, body });
      if (mode === 'hold') held.push(response);
      else response.writeHead(mode, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    events: () => received.map((alert) => String(alert.body.event)),
    answer: (next) => {
      mode = next;
    },
    release: () => {
      for (const response of held.splice(0)) response.writeHead(200).end('ok');
    },
    close: async () => {
      for (const response of held.splice(0)) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
