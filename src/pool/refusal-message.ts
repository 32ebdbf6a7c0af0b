/**
 * The vendor's own words from a refusal body, for the admin rows and the logs: Anthropic's
 * `{"type":"error","error":{"message"}}` and OpenAI's `{"error":{"message"}}` keep them in the same
 * place. Bounded and stripped of control characters: it comes from outside and ends up in a
 * terminal table.
 */
const MAX_MESSAGE_CHARS = 200;

export function refusalMessage(body: string | undefined): string | undefined {
  if (body === undefined || body === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const error = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)['error'] : undefined;
  const message = error !== null && typeof error === 'object' ? (error as Record<string, unknown>)['message'] : undefined;
  if (typeof message !== 'string') return undefined;
  const clean = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean === '' ? undefined : clean.slice(0, MAX_MESSAGE_CHARS);
}
