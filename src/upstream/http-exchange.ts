/**
 * One small exchange with a vendor's control endpoint (token refresh, usage, profile), over
 * node:http(s) and not fetch, for two reasons:
 * - fetch adds headers of its own (`accept-language: *`, `sec-fetch-mode: cors`) that the vendors'
 *   own clients never send, and these endpoints are where a client's fingerprint is looked at;
 * - fetch loads undici, about 10 MB of an idle node's memory that nothing else in a node needs
 *   (`npm run bench -- startup`).
 * The request carries exactly the caller's headers, in the caller's order, then Host and Connection
 * (node adds Content-Length when there is a body and the caller did not place it). The answer is
 * read whole, decoded as the server encoded it, and refused past `maxBytes`: a vendor (or whatever
 * answers in its place) cannot make the node buffer without bound.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export interface ExchangeRequest {
  method: 'GET' | 'POST';
  /** Header lines in wire order and spelling. */
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** The longest answer body (after decoding) that is read; longer ones fail the exchange. */
  maxBytes: number;
}

export interface ExchangeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Rejects on a network error, the timeout, an unsupported protocol or an answer over the bound. */
export async function exchange(url: URL, request: ExchangeRequest): Promise<ExchangeAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (send === undefined) throw new Error(`unsupported protocol ${url.protocol}`);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const outgoing = send(
      url,
      { method: request.method, headers: request.headers, signal: AbortSignal.timeout(request.timeoutMs) },
      resolve,
    );
    outgoing.once('error', reject);
    outgoing.end(request.body);
  });
  return { status: response.statusCode ?? 0, headers: response.headers, text: await readText(response, request.maxBytes) };
}

async function readText(response: IncomingMessage, maxBytes: number): Promise<string> {
  const encoding = String(response.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const decoders: Record<string, () => Readable & NodeJS.WritableStream> = {
    gzip: createGunzip,
    'x-gzip': createGunzip,
    deflate: createInflate,
    br: createBrotliDecompress,
  };
  const decoder = decoders[encoding];
  const stream: Readable = decoder === undefined ? response : response.pipe(decoder());
  if (decoder !== undefined) response.once('error', (error) => stream.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.destroy();
      throw new Error(`answer too large (over ${maxBytes} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
