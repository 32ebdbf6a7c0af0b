import type { IncomingMessage } from 'node:http';

/** Reads an error body we must inspect before deciding; bounded so a hostile upstream can't grow it. */
export async function readSmallBody(stream: IncomingMessage, limitBytes = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      if (size + buffer.length > limitBytes) {
        chunks.push(buffer.subarray(0, limitBytes - size));
        stream.destroy();
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
  } catch {
    // A body cut short is still worth relaying as far as it got.
  }
  return Buffer.concat(chunks);
}
