/**
 * Sends one request to an upstream through an injected agent (a keep-alive pool, or a tunnel's
 * stream agent) and resolves with the response head; the body is left for the caller to stream.
 */
import { request as httpRequest, type Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ForwardRequest {
  baseUrl: string;
  /** Path and query as the client sent them, e.g. `/v1/messages?beta=true`. */
  pathAndQuery: string;
  method: string;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
  agent?: Agent;
  signal?: AbortSignal;
  /**
   * The upstream may be silent this long (no response head, no body bytes) before the request
   * is failed; a stalled stream must end in an error, not hang the client forever.
   */
  idleTimeoutMs?: number;
}

export function forward(options: ForwardRequest): Promise<IncomingMessage> {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: OutgoingHttpHeaders = { ...options.headers, host: base.host };
  if (options.body !== undefined) headers['content-length'] = options.body.length;
  return new Promise((resolve, reject) => {
    const request = send({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port,
      method: options.method,
      path: basePath + options.pathAndQuery,
      headers,
      agent: options.agent,
      signal: options.signal,
    });
    if (options.idleTimeoutMs !== undefined) {
      const idleMs = options.idleTimeoutMs;
      request.setTimeout(idleMs, () => request.destroy(new UpstreamIdleError(idleMs)));
    }
    request.once('response', resolve);
    request.once('error', reject);
    request.end(options.body);
  });
}

export class UpstreamIdleError extends Error {
  constructor(idleMs: number) {
    super(`upstream sent nothing for ${Math.round(idleMs / 1000)} s`);
    this.name = 'UpstreamIdleError';
  }
}
