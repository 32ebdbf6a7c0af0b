/** What the issue-15 limit tests share: a Messages request that may be held open, and /metrics values. */
import { waitFor } from '../../helpers/wait-for.ts';

export const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
/** Streamed, so its head reaches the client while the simulator holds the rest (`stall`). */
const STREAMED = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

export interface Sent {
  response: Promise<Response>;
  /** Resolves with the status once the whole body is read. */
  readonly status: Promise<number>;
  abort(): void;
}

export function send(url: string, token: string, options: { stream?: boolean } = {}): Sent {
  const abort = new AbortController();
  const response = fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: options.stream === true ? STREAMED : MESSAGE,
    signal: abort.signal,
  });
  response.catch(() => {});
  return {
    response,
    get status() {
      return response.then(async (answer) => {
        await answer.arrayBuffer();
        return answer.status;
      });
    },
    abort: () => abort.abort(),
  };
}

/**
 * A request whose answer's head has arrived while the upstream holds its body: call after
 * scripting the simulator's `stall` with `afterEvents: 1`.
 */
export async function held(url: string, token: string): Promise<Sent> {
  const sent = send(url, token, { stream: true });
  const response = await sent.response;
  if (response.status !== 200) throw new Error(`expected a held 200, got ${response.status}: ${await response.text()}`);
  return sent;
}

/** The value of one /metrics series (`name{labels}`), NaN when absent. */
export async function metric(url: string, adminToken: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

export async function metricBecomes(url: string, adminToken: string, series: string, value: number): Promise<void> {
  await waitFor(async () => (await metric(url, adminToken, series)) === value, `${series} to be ${value}`);
}
