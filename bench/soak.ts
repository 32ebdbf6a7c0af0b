/**
 * `npm run soak`: mixed traffic through the mesh (client → hub → tunnel → laptop → simulator),
 * each part in its own process on 127.0.0.1, for SOAK_MINUTES (default 30) at SOAK_CONCURRENCY
 * (default 20), with a tunnel drop every few minutes: the first SIGKILLs the hub and restarts it,
 * the others cut the laptop's connection. Prints a line a minute, then the figures issue 8 asks
 * for: ledger lines against requests, leaked tunnel streams, memory first vs last third, token
 * leaks in the logs. Exit 0 when every target is met. Not part of `npm test`.
 */
import { startSoakMesh } from './_soak-mesh.ts';
import { reconcile } from './_soak-ledger.ts';
import { ROLES, flatness, flatnessLine, metricSum, mib, sampleLine, scanLog, scrapeMetrics, type Sample } from './_soak-report.ts';
import { Traffic } from './_soak-traffic.ts';

const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 20);
if (!(minutes > 0) || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: SOAK_MINUTES=<minutes > 0> SOAK_CONCURRENCY=<integer ≥ 1> npm run soak');
  process.exit(2);
}
const durationMs = minutes * 60_000;
const dropEveryMs = Math.min(180_000, durationMs / 3);
const SAMPLE_EVERY_MS = 10_000;
const IDLE_WAIT_MS = 150_000;
// Stops the run whatever hangs; children exit when our IPC channel goes.
setTimeout(
  () => {
    console.error('soak: watchdog fired; giving up');
    process.exit(1);
  },
  durationMs + 8 * 60_000,
).unref();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const clock = (ms: number): string => `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

console.log(`soak: ${minutes} min, concurrency ${concurrency}, a tunnel drop every ${clock(dropEveryMs)}`);
const mesh = await startSoakMesh();
await mesh.linked(30_000);
await sleep(2_000);
const metrics = async (): Promise<{ hub: string; laptop: string }> => ({
  hub: await scrapeMetrics(mesh.hubUrl, mesh.tokens.hubAdmin),
  laptop: await scrapeMetrics(mesh.laptopUrl, mesh.tokens.laptopAdmin),
});
const streams = async (): Promise<{ hub: number | undefined; laptop: number | undefined }> => {
  const text = await metrics();
  return {
    hub: metricSum(text.hub, 'quotamesh_tunnel_open_streams', { peer: 'laptop' }),
    laptop: metricSum(text.laptop, 'quotamesh_tunnel_open_streams', { peer: 'hub' }),
  };
};
// The hub's status watches of the laptop (one per provider) are streams that stay open.
const baselineStreams = await streams();
const secrets = new Set(Object.values(mesh.tokens));
const samples: Sample[] = [];
let hubGeneration = 0;
const takeSample = async (elapsedMs: number, duringTraffic: boolean): Promise<Sample> => {
  const sample: Sample = { elapsedMs, duringTraffic, hubGeneration, stats: await mesh.stats() };
  for (const token of sample.stats.sim?.tokens ?? []) secrets.add(token);
  samples.push(sample);
  return sample;
};
const baseline = await takeSample(0, false);
console.log(`linked; before traffic: ${sampleLine(baseline)}; tunnel streams hub ${baselineStreams.hub}, laptop ${baselineStreams.laptop}`);

const traffic = new Traffic({ hubUrl: () => mesh.hubUrl, tokens: mesh.tokens, concurrency });
const crashed = new Set<number>();
const drops: string[] = [];
const dropTimesMs: number[] = [];
const relinks: Array<Promise<void>> = [];
const startedMs = Date.now();
const elapsed = (): number => Date.now() - startedMs;

/** The laptop counts every tunnel that came up again after going down, across hub restarts. */
const laptopReconnects = async (): Promise<number> =>
  metricSum((await metrics()).laptop, 'quotamesh_tunnel_reconnects_total', { peer: 'hub' }) ?? 0;

async function drop(): Promise<void> {
  const atMs = elapsed();
  const downMs = Date.now();
  const reconnectsBefore = await laptopReconnects();
  let what: string;
  if (drops.length === 0) {
    // Requests in flight at the hub, or sent before it is gone, die with it (no line, by design).
    for (const sent of traffic.inFlight) crashed.add(sent.id);
    const firstId = traffic.requests.length;
    await mesh.restartHub(() => {
      for (let id = firstId; id < traffic.requests.length; id += 1) crashed.add(id);
    });
    hubGeneration += 1;
    what = `hub SIGKILL + restart (${crashed.size} requests in flight)`;
  } else {
    what = `tunnel cut (${mesh.cutTunnel()} connection(s) reset)`;
  }
  const index = drops.push(`${clock(atMs)} ${what}`) - 1;
  dropTimesMs.push(downMs);
  const relinked = async (): Promise<void> => {
    while ((await laptopReconnects()) <= reconnectsBefore) {
      if (Date.now() - downMs > 120_000) throw new Error('not relinked');
      await sleep(100);
    }
  };
  relinks.push(
    relinked().then(
      () => void (drops[index] += `, tunnel up again after ${((Date.now() - downMs) / 1000).toFixed(1)} s`),
      () => void (drops[index] += ', NOT relinked within 120 s'),
    ),
  );
  console.log(`  [${clock(atMs)}] ${what}`);
}

let nextSampleMs = SAMPLE_EVERY_MS;
let nextDropMs = dropEveryMs;
let nextPrintMs = 60_000;
while (elapsed() < durationMs) {
  await sleep(Math.min(nextSampleMs, nextDropMs, durationMs) - elapsed());
  if (elapsed() >= nextDropMs && nextDropMs < durationMs) {
    await drop();
    nextDropMs += dropEveryMs;
  }
  if (elapsed() >= nextSampleMs) {
    const sample = await takeSample(elapsed(), true);
    nextSampleMs += SAMPLE_EVERY_MS;
    if (elapsed() >= nextPrintMs) {
      const errors = traffic.requests.length - traffic.count('ok') - traffic.inFlight.size;
      console.log(
        `[${clock(elapsed())}] sent ${traffic.requests.length}, ok ${traffic.count('ok')}, errors ${errors}, in flight ${traffic.inFlight.size} | ${sampleLine(sample)}`,
      );
      nextPrintMs += 60_000;
    }
  }
}

console.log(`[${clock(elapsed())}] stopping traffic; waiting for in-flight requests`);
await traffic.stop();
await Promise.all(relinks);
// Idle keep-alive streams close when the server's keep-alive timeout ends them (72 s in fastify).
const idleStartedMs = Date.now();
let after = await streams();
while ((after.hub !== baselineStreams.hub || after.laptop !== baselineStreams.laptop) && Date.now() - idleStartedMs < IDLE_WAIT_MS) {
  await sleep(1_000);
  after = await streams();
}
const idleSeconds = ((Date.now() - idleStartedMs) / 1000).toFixed(0);
const idle = await takeSample(elapsed(), false);
const finalMetrics = await metrics();
await mesh.stop();

const { requests } = traffic;
const ledger = reconcile(requests, crashed, mesh.paths.hubLedger, mesh.paths.laptopLedger);
const hubLog = scanLog(mesh.paths.hubLog, secrets);
const laptopLog = scanLog(mesh.paths.laptopLog, secrets);
const statuses = new Map<number, number>();
for (const sent of requests)
  if (sent.outcome === 'http_error' && sent.status !== undefined) statuses.set(sent.status, (statuses.get(sent.status) ?? 0) + 1);
const leaked = {
  hub: (after.hub ?? NaN) - (baselineStreams.hub ?? NaN),
  laptop: (after.laptop ?? NaN) - (baselineStreams.laptop ?? NaN),
};
const memory = ROLES.map((role) => flatness(samples, role));
const isLongEnough = minutes >= 10;

console.log(`\n== soak summary: ${minutes} min, concurrency ${concurrency} ==`);
console.log(
  `requests sent ${requests.length}: ok ${traffic.count('ok')}, http errors ${traffic.count('http_error')} (${[...statuses].map(([status, count]) => `${status}×${count}`).join(', ') || 'none'}), ` +
    `broken after the head ${traffic.count('broken')}, no response ${traffic.count('no_response')}`,
);
// What a client saw: the first request through the tunnel sent after the drop that succeeded.
const restored = dropTimesMs.map((dropMs) => {
  const first = requests.find((sent) => sent.startedMs >= dropMs && sent.kind !== 'pooled-sse' && sent.outcome === 'ok');
  return first === undefined ? 'never' : `${((first.startedMs - dropMs) / 1000).toFixed(1)} s`;
});
console.log(
  `tunnel drops ${drops.length}:\n  ${drops.map((line, index) => `${line}; first request through it served ${restored[index]} after the drop`).join('\n  ')}`,
);
console.log(
  `ledger: hub ${ledger.hub.lines} lines, laptop ${ledger.laptop.lines} lines; ${ledger.answered} requests answered by the hub; ` +
    `lost at the hub ${ledger.lostAtHub.length}; in flight at the SIGKILL (lost with the process) ${ledger.lostInCrash}; ` +
    `served through the tunnel ${ledger.throughTunnel}, lost at the laptop ${ledger.lostAtLaptop.length}; laptop lines for requests the hub moved or lost ${ledger.laptopOnly}; ` +
    `duplicates hub ${ledger.duplicates.hub} / laptop ${ledger.duplicates.laptop}; torn lines ${ledger.hub.torn} / ${ledger.laptop.torn}; unknown ${ledger.hub.unknown} / ${ledger.laptop.unknown}`,
);
if (ledger.lostAtHub.length + ledger.lostAtLaptop.length > 0)
  console.log(`  lost ids: hub ${ledger.lostAtHub.slice(0, 10).join(',')} laptop ${ledger.lostAtLaptop.slice(0, 10).join(',')}`);
console.log(
  `tunnel open streams ${idleSeconds} s after traffic: hub ${after.hub} (before traffic ${baselineStreams.hub}), laptop ${after.laptop} (before ${baselineStreams.laptop}) → leaked ${leaked.hub} / ${leaked.laptop}`,
);
console.log(`after idle: ${sampleLine(idle)}`);
const refreshes = (text: string, result: string): number => metricSum(text, 'quotamesh_token_refreshes_total', { result }) ?? 0;
console.log(
  `token refreshes (hub since its restart): hub ok ${refreshes(finalMetrics.hub, 'ok')} failed ${refreshes(finalMetrics.hub, 'failed')}, ` +
    `laptop ok ${refreshes(finalMetrics.laptop, 'ok')} failed ${refreshes(finalMetrics.laptop, 'failed')}`,
);
console.log(
  `memory, mean of the first vs the last third of samples under traffic${isLongEnough ? '' : ' (a short run mostly shows warm-up; judge 10 min or more)'}:`,
);
for (const result of memory) if (result) console.log(`  ${flatnessLine(result)}`);
for (const [name, log] of [
  ['hub', hubLog],
  ['laptop', laptopLog],
] as const) {
  console.log(
    `log ${name}: ${log.lines} lines, ${log.leaks} with a token; warnings/errors: ${log.warnings.map(([message, count]) => `${count}× ${message}`).join('; ') || 'none'}`,
  );
}
console.log(
  `peak rss MiB: ${ROLES.map((role) => `${role} ${mib(Math.max(...samples.map((s) => s.stats[role]?.rssBytes ?? 0)))}`).join(', ')}`,
);

const failures = [
  ledger.lostAtHub.length > 0 && 'ledger lines lost at the hub',
  ledger.lostAtLaptop.length > 0 && 'ledger lines lost at the laptop',
  ledger.duplicates.hub + ledger.duplicates.laptop > 0 && 'duplicate ledger lines',
  !(leaked.hub === 0 && leaked.laptop === 0) && 'leaked tunnel streams',
  hubLog.leaks + laptopLog.leaks > 0 && 'tokens in the logs',
  drops.some((line) => line.includes('NOT relinked')) && 'a tunnel did not come back',
  // The verdict is about the nodes. The simulator is a test fixture whose request log (kept for
  // assertions, capped at 10 000 entries) fills during a run; its memory is printed, not judged.
  isLongEnough && memory.some((result) => result !== undefined && result.role !== 'sim' && !result.isFlat) && 'node memory grew',
].filter((failure): failure is string => typeof failure === 'string');
console.log(failures.length === 0 ? 'verdict: every target met' : `verdict: FAILED: ${failures.join('; ')}`);
if (process.env.SOAK_KEEP) console.log(`ledgers and logs kept in ${mesh.dir}`);
else mesh.removeFiles();
process.exit(failures.length === 0 ? 0 : 1);
