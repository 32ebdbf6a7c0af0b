/**
 * One request of the CLI to a running node (`status`, `admin`): a transport failure reads
 * "cannot reach URL: <why>", an error answer "URL answered <status>: <the node's message>".
 */

/** Resolves with an ok response; rejects with one readable line otherwise. `prefix` leads that line. */
export async function requestNode(url: string, path: string, init: RequestInit, prefix = ''): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(new URL(path, url), init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok) throw new Error(`${prefix}${url} answered ${response.status}: ${errorText(await response.text())}`);
  return response;
}

/** The provider-shaped error bodies (PROTOCOL.md › Errors) carry a readable message; show that, not JSON. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}
