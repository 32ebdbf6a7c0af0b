/**
 * What `quotamesh statusline` needs from the JSON Claude Code writes to its stdin: the session
 * id, which is also the `session_id` in every request's `metadata.user_id` and the
 * `X-Claude-Code-Session-Id` header, so the node knows it as the sticky-session key. The rest
 * (model, workspace, cost, context window...) is not ours to show.
 */
export interface StatuslineInput {
  sessionId: string | undefined;
}

/** Claude Code's JSON is a few kilobytes; more is drained and ignored, never buffered. */
export const MAX_INPUT_BYTES = 1024 * 1024;
/** Claude Code closes stdin right after writing; a terminal or an open pipe must not hang us. */
export const INPUT_TIMEOUT_MS = 1000;
/** The node's bound on `?session=`; a longer id would only earn a 400. */
const MAX_SESSION_ID_LENGTH = 256;

export async function readStatuslineInput(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  timeoutMs = INPUT_TIMEOUT_MS,
): Promise<StatuslineInput> {
  if (stdin.isTTY === true) return { sessionId: undefined };
  const text = await readBounded(stdin, MAX_INPUT_BYTES, timeoutMs);
  return parseStatuslineInput(text);
}

export function parseStatuslineInput(text: string | undefined): StatuslineInput {
  if (text === undefined) return { sessionId: undefined };
  try {
    const value = JSON.parse(text) as { session_id?: unknown } | null;
    return { sessionId: validSessionId(value?.session_id) };
  } catch {
    return { sessionId: undefined };
  }
}

/** A session id the node accepts in `?session=`, else undefined. */
export function validSessionId(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SESSION_ID_LENGTH) return undefined;
  return /^[\x21-\x7e]+$/.test(value) ? value : undefined;
}

/** All of stdin as text, or undefined when it is too long or does not end in time. */
function readBounded(stdin: NodeJS.ReadableStream, maxBytes: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (text: string | undefined): void => {
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      resolve(text);
    };
    const onData = (chunk: Buffer | string): void => {
      total += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      // Keep draining past the bound so the writer never sees EPIPE, but stop keeping it.
      if (total <= maxBytes) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      else chunks.length = 0;
    };
    const onEnd = (): void => finish(total <= maxBytes ? Buffer.concat(chunks).toString('utf8') : undefined);
    const onError = (): void => finish(undefined);
    const timer = setTimeout(() => {
      finish(undefined);
      // An open pipe would keep this process alive after the line is printed.
      (stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }, timeoutMs);
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onError);
    stdin.resume();
  });
}
