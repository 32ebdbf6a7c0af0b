import type { OutgoingHttpHeaders } from 'node:http';

/** `x-quotamesh-via` (PROTOCOL.md › Headers): the nodes a request passed through, comma-separated. */
export const VIA_HEADER = 'x-quotamesh-via';
export const MAX_HOPS = 4;

export function parseVia(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Peers learn the path so far (loop protection); vendors never see it. */
export function withVia(headers: OutgoingHttpHeaders, toPeer: boolean, via: string[], nodeName: string): OutgoingHttpHeaders {
  delete headers[VIA_HEADER];
  if (toPeer) headers[VIA_HEADER] = [...via, nodeName].join(',');
  return headers;
}
