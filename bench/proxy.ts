/**
 * Issue 3's proxy bench: requests/s and p50/p99 for the simulator direct and through one node,
 * non-streaming and SSE, 64 concurrent. Targets: node ≥ 45 % of direct throughput, ≤ 2 ms
 * added p50.
 */
import { runLoad, runOpenLoad, type LoadResult } from './_load.ts';
import { startSimAndNode } from './_harness.ts';

const CONCURRENCY = 64;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const OPEN_RATE = Number(process.env.BENCH_OPEN_RATE ?? 1000);

export async function run(): Promise<void> {
  const servers = await startSimAndNode(1);
  try {
    console.log(`| mode | path | req/s | p50 ms | p99 ms | errors | throughput vs direct | added p50 ms |`);
    console.log(`|---|---|---|---|---|---|---|---|`);
    for (const stream of [false, true]) {
      const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, stream, messages: [{ role: 'user', content: 'bench' }] });
      const direct = await runLoad({
        url: `${servers.sim.url}/v1/messages`,
        headers: {
          authorization: `Bearer ${servers.accessToken}`,
          'anthropic-beta': 'oauth-2025-04-20',
          'content-type': 'application/json',
        },
        body,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
      });
      const proxied = await runLoad({
        url: `${servers.node.url}/v1/messages`,
        headers: { authorization: `Bearer ${servers.userToken}`, 'content-type': 'application/json' },
        body,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
      });
      const mode = stream ? 'SSE' : 'JSON';
      row(mode, 'direct (client → sim)', direct, direct);
      row(mode, 'node (client → node → sim)', proxied, direct);
    }
    // At 64 concurrent on two shared cores, latency is mostly queueing (Little's law: 64 /
    // throughput); one request at a time shows what the hop itself adds.
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'bench' }] });
    const single = async (url: string, headers: Record<string, string>) =>
      runLoad({ url, headers, body, concurrency: 1, durationMs: DURATION_MS / 2 });
    const direct = await single(`${servers.sim.url}/v1/messages`, {
      authorization: `Bearer ${servers.accessToken}`,
      'anthropic-beta': 'oauth-2025-04-20',
      'content-type': 'application/json',
    });
    const proxied = await single(`${servers.node.url}/v1/messages`, {
      authorization: `Bearer ${servers.userToken}`,
      'content-type': 'application/json',
    });
    row('JSON, 1 at a time', 'direct (client → sim)', direct, direct);
    row('JSON, 1 at a time', 'node (client → node → sim)', proxied, direct);
    // A fixed offered load well below saturation (up to 64 in flight): the latency a user sees
    // on a busy but not overloaded node.
    const open = (url: string, headers: Record<string, string>) =>
      runOpenLoad({ url, headers, body, ratePerSecond: OPEN_RATE, maxInFlight: 64, durationMs: DURATION_MS });
    const directOpen = await open(`${servers.sim.url}/v1/messages`, {
      authorization: `Bearer ${servers.accessToken}`,
      'anthropic-beta': 'oauth-2025-04-20',
      'content-type': 'application/json',
    });
    const proxiedOpen = await open(`${servers.node.url}/v1/messages`, {
      authorization: `Bearer ${servers.userToken}`,
      'content-type': 'application/json',
    });
    row(`JSON, ${OPEN_RATE} req/s offered`, 'direct (client → sim)', directOpen, directOpen);
    row(`JSON, ${OPEN_RATE} req/s offered`, 'node (client → node → sim)', proxiedOpen, directOpen);
  } finally {
    servers.stop();
  }
}

function row(mode: string, path: string, result: LoadResult, baseline: LoadResult): void {
  const ratio = result === baseline ? '100 %' : `${((result.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(0)} %`;
  const added = result === baseline ? '—' : (result.p50Ms - baseline.p50Ms).toFixed(2);
  console.log(
    `| ${mode} | ${path} | ${result.requestsPerSecond.toFixed(0)} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.errors} | ${ratio} | ${added} |`,
  );
}
