/**
 * One request for `quotamesh statusline`: the Claude pool as the caller's route sees it, and the
 * credential its session is bound to (`/v1/status?provider=claude&session=`). Every failure is
 * `undefined`: the status line has no place to explain, it only says "offline".
 */
import type { ProviderStatus, SessionAssignment } from '../status/index.ts';
import { parsePool, parseSession } from './statusline-cache.ts';

export interface StatuslineAnswer {
  pool: ProviderStatus;
  session: SessionAssignment | undefined;
  /** Node clock minus local clock, from the response's Date header; 0 when close or unknown. */
  nodeOffsetMs: number;
}

// The public provider object is a few hundred bytes; a node answering megabytes is not one.
const MAX_ANSWER_BYTES = 64 * 1024;
// The Date header has one-second resolution: smaller offsets are noise, not skew.
const MIN_OFFSET_MS = 5000;

/**
 * The status URL under `base`, keeping its path: ANTHROPIC_BASE_URL may name a path prefix in
 * front of the node (a reverse proxy), and Claude Code appends `/v1/messages` to it the same way.
 */
export function statusUrl(base: string, sessionId: string | undefined): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/status`;
  url.search = '';
  url.hash = '';
  url.searchParams.set('provider', 'claude');
  if (sessionId !== undefined) url.searchParams.set('session', sessionId);
  return url;
}

export async function fetchAnswer(
  base: string,
  token: string,
  sessionId: string | undefined,
  timeoutMs: number,
  nowMs: () => number,
): Promise<StatuslineAnswer | undefined> {
  try {
    const response = await fetch(statusUrl(base, sessionId), {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const receivedAtMs = nowMs();
    const text = await boundedText(response, MAX_ANSWER_BYTES);
    if (!response.ok || text === undefined) return undefined;
    const body = JSON.parse(text) as Record<string, unknown>;
    const pool = parsePool(body);
    if (pool === undefined) return undefined;
    const session = parseSession(body.session);
    return {
      pool,
      session: session?.id === sessionId ? session : undefined,
      nodeOffsetMs: offsetFrom(response.headers.get('date'), receivedAtMs),
    };
  } catch {
    return undefined;
  }
}

async function boundedText(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    // Leaving the loop cancels the stream, so the rest is never downloaded.
    if (total > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function offsetFrom(date: string | null, receivedAtMs: number): number {
  const nodeMs = date === null ? Number.NaN : Date.parse(date);
  if (!Number.isFinite(nodeMs)) return 0;
  const offset = nodeMs - receivedAtMs;
  return Math.abs(offset) < MIN_OFFSET_MS ? 0 : offset;
}
