/**
 * The ChatGPT Codex backend's own request checks, answered before the Responses API's: a FastAPI
 * `{"detail": "..."}` 400, not an OpenAI error object. Codex CLI always sends `store: false`,
 * `stream: true` and `instructions`; the official SDK's plain `responses.create` does not, so the
 * checks are a switch (`POST /_sim/codex/strict {"enabled": true}`), off by default, that tests of
 * what a proxy does with these refusals turn on.
 */
export function codexBackendRefusal(text: string): { detail: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the Responses API's own validation answers it.
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  if (fields['store'] !== false) return { detail: 'Store must be set to false' };
  if (fields['stream'] !== true) return { detail: 'Stream must be set to true' };
  if (typeof fields['instructions'] !== 'string') return { detail: 'Instructions are required' };
  return undefined;
}
