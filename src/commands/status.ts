/** `quotamesh status`: a node's /v1/status as text or JSON. */
import type { NodeStatus } from '../status/index.ts';

export async function runStatus(options: { url: string | undefined; token: string | undefined; watch: boolean; json: boolean }): Promise<number> {
  const url = options.url ?? process.env.QUOTAMESH_URL ?? 'http://127.0.0.1:8787';
  const token = options.token ?? process.env.QUOTAMESH_TOKEN;
  if (token === undefined) throw new Error('no token: pass --token or set QUOTAMESH_TOKEN');
  const response = await fetch(new URL(`/v1/status${options.watch ? '?watch=true' : ''}`, url), { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  if (!options.watch) {
    print((await response.json()) as NodeStatus, options.json);
    return 0;
  }
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body ?? []) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim() !== '') print(JSON.parse(line) as NodeStatus, options.json);
    }
  }
  return 0;
}

function print(status: NodeStatus, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return;
  }
  process.stdout.write(`node ${status.node}\n`);
  for (const [provider, value] of Object.entries(status.providers)) {
    process.stdout.write(`  ${provider.padEnd(7)} 5h ${value.five_hour_utilization.toFixed(1).padStart(5)}%  weekly ${value.weekly_utilization.toFixed(1).padStart(5)}%  weight ${value.plan_weight}  ${value.state}\n`);
  }
}
