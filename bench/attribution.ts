/**
 * Issue 15: what attribution costs on the request path. The node's own throughput (JSON, 64
 * concurrent, a user with limits, so every request is checked at admission and attributed) gives
 * its CPU time per request; the attribution steps one request takes (the admission check, the
 * claim at the head, the settle and the append to consumption.jsonl at the end) are then timed
 * alone, in-process, against a two-credential pool. Target: under 3 % of the time per request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Attribution } from '../src/node/attribution.ts';
import { callerRefusal } from '../src/node/caller-limits.ts';
import { ConsumptionFile } from '../src/node/consumption-file.ts';
import type { Caller } from '../src/node/auth.ts';
import { ProviderPool } from '../src/pool/index.ts';
import { ScriptedCredential } from '../test/helpers/scripted-credential.ts';
import { runLoad } from './_load.ts';
import { startSimAndNode } from './_harness.ts';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const ITERATIONS = 50_000;

export async function run(): Promise<void> {
  const servers = await startSimAndNode(2);
  let requestsPerSecond: number;
  try {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'bench' }] });
    const load = await runLoad({
      url: `${servers.node.url}/v1/messages`,
      headers: { authorization: `Bearer ${servers.userToken}`, 'content-type': 'application/json' },
      body,
      concurrency: 64,
      durationMs: DURATION_MS,
    });
    requestsPerSecond = load.requestsPerSecond;
  } finally {
    servers.stop();
  }
  const microsPerRequest = attributionMicros();
  const nodeMicros = 1e6 / requestsPerSecond;
  console.log(`| node req/s (JSON, 64 concurrent) | node µs/request | attribution µs/request | share of the request |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| ${requestsPerSecond.toFixed(0)} | ${nodeMicros.toFixed(1)} | ${microsPerRequest.toFixed(2)} | ${((100 * microsPerRequest) / nodeMicros).toFixed(2)} % (target < 3 %) |`,
  );
}

/** One request's attribution work, averaged over ITERATIONS requests on two credentials. */
function attributionMicros(): number {
  const dir = mkdtempSync(join(tmpdir(), 'qm-bench-attribution-'));
  let nowMs = Date.UTC(2026, 10, 21, 12);
  const store = new ConsumptionFile(dir, pino({ level: 'silent' }), ['user:bench'], () => nowMs);
  const attribution = new Attribution(store, pino({ level: 'silent' }));
  // Windows that rise by a tiny step on every request, as a busy account's do.
  const resets = { fiveHourReset: 1_800_000_000, weeklyReset: 1_800_000_000 };
  const credentials = [new ScriptedCredential('a', resets), new ScriptedCredential('b', resets)];
  const pool = new ProviderPool('claude', credentials, [
    { tag: 'pool', members: ['a', 'b'], strategy: 'least-used', rebalanceThreshold: 0 },
  ]);
  const caller: Caller = {
    kind: 'user',
    name: 'bench',
    user: {
      name: 'bench',
      token: 'x'.repeat(16),
      allow_external_usage: false,
      limits: { five_hour_percent: 100, weekly_percent: 100, queue_timeout_ms: 30_000 },
    },
  };
  const usage = { input_tokens: 1200, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 40_000 };
  const access = { routeTag: 'pool', allowExternal: false };
  const started = performance.now();
  for (let index = 0; index < ITERATIONS; index += 1) {
    nowMs += 50;
    const credential = credentials[index % 2]!;
    callerRefusal(store, caller, 'claude', nowMs);
    attribution.before('claude', credential, nowMs);
    const next = (credential.fiveHour.utilization + 0.0007) % 90;
    credential.use(next, next / 10);
    const claim = attribution.claim('claude', credential, nowMs);
    attribution.settle({ caller, provider: 'claude', pool, access, credential, claim, usage, cacheReadWeight: 0.1 }, nowMs);
  }
  const micros = ((performance.now() - started) * 1000) / ITERATIONS;
  void store.close().then(() => rmSync(dir, { recursive: true, force: true }));
  return micros;
}
