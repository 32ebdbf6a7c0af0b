/**
 * Issue 5's mesh bench: the simulator direct, through one node, and through the mesh (client →
 * hub → tunnel → laptop → simulator), 100 concurrent, JSON and SSE. Targets: the mesh keeps
 * ≥ 25 % of direct throughput and adds ≤ 20 ms p99. The same mesh linked over sing-box's wire
 * (issue 14: `/ccm/v1/reverse`, yamux on raw TCP, Bearer HTTP/1.1) gets its own rows beside it.
 */
import { runLoad, runOpenLoad, type LoadResult } from './_load.ts';
import { startMeshChildren } from './_harness.ts';

const CONCURRENCY = 100;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const OPEN_RATE = Number(process.env.BENCH_OPEN_RATE ?? 1000);

export async function run(): Promise<void> {
  const servers = await startMeshChildren();
  const singBox = await startMeshChildren('sing-box');
  try {
    console.log('| mode | path | req/s | p50 ms | p99 ms | errors | throughput vs direct | added p99 ms |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const stream of [false, true]) {
      const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, stream, messages: [{ role: 'user', content: 'bench' }] });
      const userHeaders = { authorization: `Bearer ${servers.userToken}`, 'content-type': 'application/json' };
      const load = (url: string, headers: Record<string, string>) =>
        runLoad({ url, headers, body, concurrency: CONCURRENCY, durationMs: DURATION_MS });
      const direct = await load(`${servers.sim.url}/v1/messages`, {
        authorization: `Bearer ${servers.accessToken}`,
        'anthropic-beta': 'oauth-2025-04-20',
        'content-type': 'application/json',
      });
      const node = await load(`${servers.node.url}/v1/messages`, userHeaders);
      const mesh = await load(`${servers.hub.url}/v1/messages`, userHeaders);
      const singBoxMesh = await load(`${singBox.hub.url}/v1/messages`, { ...userHeaders, authorization: `Bearer ${singBox.userToken}` });
      const mode = stream ? 'SSE' : 'JSON';
      row(mode, 'direct (client → sim)', direct, direct);
      row(mode, 'node (client → node → sim)', node, direct);
      row(mode, 'mesh (client → hub → tunnel → laptop → sim)', mesh, direct);
      row(mode, 'mesh, sing-box wire (client → hub → /ccm/v1/reverse tunnel → laptop → sim)', singBoxMesh, direct);
    }
    // One request at a time: what the two hops and the tunnel add, without queueing.
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'bench' }] });
    const single = (url: string, headers: Record<string, string>) =>
      runLoad({ url, headers, body, concurrency: 1, durationMs: DURATION_MS / 2 });
    const userHeaders = { authorization: `Bearer ${servers.userToken}`, 'content-type': 'application/json' };
    const direct = await single(`${servers.sim.url}/v1/messages`, {
      authorization: `Bearer ${servers.accessToken}`,
      'anthropic-beta': 'oauth-2025-04-20',
      'content-type': 'application/json',
    });
    const mesh = await single(`${servers.hub.url}/v1/messages`, userHeaders);
    row('JSON, 1 at a time', 'direct (client → sim)', direct, direct);
    row('JSON, 1 at a time', 'mesh (client → hub → tunnel → laptop → sim)', mesh, direct);
    // A fixed offered load below saturation, up to 100 in flight.
    const open = (url: string, headers: Record<string, string>) =>
      runOpenLoad({ url, headers, body, ratePerSecond: OPEN_RATE, maxInFlight: CONCURRENCY, durationMs: DURATION_MS });
    const directOpen = await open(`${servers.sim.url}/v1/messages`, {
      authorization: `Bearer ${servers.accessToken}`,
      'anthropic-beta': 'oauth-2025-04-20',
      'content-type': 'application/json',
    });
    const meshOpen = await open(`${servers.hub.url}/v1/messages`, userHeaders);
    row(`JSON, ${OPEN_RATE} req/s offered`, 'direct (client → sim)', directOpen, directOpen);
    row(`JSON, ${OPEN_RATE} req/s offered`, 'mesh (client → hub → tunnel → laptop → sim)', meshOpen, directOpen);
  } finally {
    servers.stop();
    singBox.stop();
  }
}

function row(mode: string, path: string, result: LoadResult, baseline: LoadResult): void {
  const ratio = result === baseline ? '100 %' : `${((result.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(0)} %`;
  const added = result === baseline ? '—' : (result.p99Ms - baseline.p99Ms).toFixed(2);
  console.log(
    `| ${mode} | ${path} | ${result.requestsPerSecond.toFixed(0)} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.errors} | ${ratio} | ${added} |`,
  );
}
