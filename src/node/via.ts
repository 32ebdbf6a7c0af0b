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
