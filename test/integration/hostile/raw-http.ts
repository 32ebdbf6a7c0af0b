/**
 * Small clients for hostile-input tests: requests with any method, path and header list
 * (duplicates allowed), raw sockets that trickle bytes, and checks for the providers' error shapes.
 */
import http from 'node:http';
import net from 'node:net';
import { providerFor } from '../../../src/providers/index.ts';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method: string;
  path: string;
  /** Name/value pairs in order; a name may repeat. */
  headers: Array<[string, string]>;
  body?: Buffer | undefined;
  localAddress?: string;
}

/** One request on its own connection; 'closed' when the node cut the socket instead of answering. */
export function rawRequest(baseUrl: string, request: RawRequest, timeoutMs = 10_000): Promise<RawAnswer | 'closed'> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms to ${request.method} ${request.path}`));
    }, timeoutMs);
    const finish = (answer: RawAnswer | 'closed'): void => {
      clearTimeout(timer);
      resolve(answer);
    };
    const outgoing = http.request({
      host: url.hostname,
      port: url.port,
      method: request.method,
      path: request.path,
      // A raw header array gets neither Host nor framing from Node: add both.
      headers: [
        ['host', url.host],
        ...request.headers,
        ...(request.body === undefined ? [] : [['content-length', String(request.body.length)]]),
      ].flat(),
      agent: false,
      ...(request.localAddress ? { localAddress: request.localAddress } : {}),
    });
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        finish({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', () => finish('closed'));
    });
    outgoing.on('error', () => finish('closed'));
    outgoing.end(request.body);
  });
}

export async function healthz(baseUrl: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}/healthz`);
  return response.status === 200 && ((await response.json()) as { ok?: unknown }).ok === true;
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** Anthropic's `{"type":"error","error":{"type","message"}}` (request_id, when present, is ours). */
export function isClaudeError(body: string): boolean {
  const value = parse(body);
  return (
    value?.type === 'error' &&
    isObject(value.error) &&
    typeof value.error.type === 'string' &&
    typeof value.error.message === 'string' &&
    (value.request_id === undefined || (typeof value.request_id === 'string' && value.request_id.startsWith('req_qm_')))
  );
}

/** OpenAI's `{"error":{"type","message","code"}}`. */
export function isCodexError(body: string): boolean {
  const value = parse(body);
  const error = value?.error;
  return isObject(error) && typeof error.type === 'string' && typeof error.message === 'string' && typeof error.code === 'string';
}

/** Which provider's shape the node owes a path: the node's one rule, the same for server and tests. */
export function providerOfPath(path: string): string {
  return providerFor(path).name;
}

/** A raw TCP client: resolves when the node closes the connection, with everything it sent. */
export class RawClient {
  readonly socket: net.Socket;
  received = '';
  isClosed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.isClosed = true;
      this.stopTrickle();
    });
  }

  /** Sends `text` one byte every `intervalMs`, looping over it forever (it never completes). */
  trickle(text: string, intervalMs: number): void {
    let index = 0;
    this.#timer = setInterval(() => {
      if (this.socket.writable) this.socket.write(text[index % text.length] ?? 'x');
      index += 1;
    }, intervalMs);
  }

  stopTrickle(): void {
    clearInterval(this.#timer);
  }

  destroy(): void {
    this.stopTrickle();
    this.socket.destroy();
  }
}

/**
 * What a request made the node forward, out of what the simulated vendor received since `before`:
 * the node's own background polls (usage, profile) may land at any moment and are not forwarding.
 */
export function forwardedSince<T extends { method: string; path: string }>(received: readonly T[], before: number): T[] {
  return received.slice(before).filter((request) => !BACKGROUND_POLLS.has(`${request.method} ${request.path.split('?')[0]}`));
}

const BACKGROUND_POLLS = new Set(['GET /api/oauth/usage', 'GET /api/oauth/profile', 'GET /backend-api/wham/usage']);
