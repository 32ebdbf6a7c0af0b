/**
 * `npm run bench -- startup`: how soon `quotamesh serve` answers /healthz after its process is
 * spawned, and its resident memory once idle, for the compiled node (the dist/ bundle, what the
 * package and the Docker image run) beside the source one (src/ through tsx, what a checkout runs)
 * and beside the floor: plain node answering /healthz with node:http, what any node process costs
 * on this machine in the same run. Targets (issue 17): ≤ 600 ms to /healthz and ≤ 70 MB idle RSS
 * for the compiled node. Each run is a fresh process; the quotamesh ones serve one simulated Claude
 * account. The median of the runs is reported.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { claudeCredentialFile, startSimulator } from '../src/sim/index.ts';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);
// Idle = after the first usage poll and the start-up garbage have settled.
const IDLE_AFTER_MS = 3000;
const TARGET_STARTUP_MS = 600;
const TARGET_RSS_MB = 70;

interface Sample {
  startupMs: number;
  /** CPU the process used until /healthz answered: on a shared, loaded machine the steadier number. */
  startupCpuMs: number;
  idleRssMb: number;
}

// The floor: node's own start-up and memory, with an HTTP server and nothing else.
const FLOOR_SCRIPT = `require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () {
  process.stderr.write('listening on http://127.0.0.1:' + this.address().port + '\\n');
});`;

export async function run(): Promise<void> {
  buildIfStale();
  const sim = await startSimulator({ accounts: [{ id: 'a', plan: 'max20x' }] });
  const dir = mkdtempSync(join(tmpdir(), 'qm-bench-startup-'));
  try {
    const credentialPath = join(dir, 'credentials.json');
    writeFileSync(credentialPath, JSON.stringify(claudeCredentialFile(sim.account('a'))), { mode: 0o600 });
    const configPath = join(dir, 'quotamesh.json');
    const config = {
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      users: [{ name: 'bench', token: 'bench-user-token-0123456789abcdef' }],
      claude: { credentials: [{ tag: 'a', type: 'default', path: credentialPath }], api_url: sim.url, oauth_url: sim.tokenUrl },
    };
    writeFileSync(configPath, JSON.stringify(config));
    const serve = ['serve', '--config', configPath];
    const variants = [
      { name: 'compiled (node dist/cli.js)', args: [join(ROOT, 'dist/cli.js'), ...serve] },
      { name: 'source (tsx src/cli.ts)', args: ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...serve] },
      { name: 'floor (plain node:http)', args: ['-e', FLOOR_SCRIPT] },
    ];
    const samples = variants.map(() => [] as Sample[]);
    // Alternating, so a burst of load on the shared machine hits all alike.
    for (let index = 0; index < RUNS; index++) {
      for (const [at, variant] of variants.entries()) samples[at]!.push(await measure(variant.args));
    }
    const [compiled, source, floor] = samples.map(median) as [Sample, Sample, Sample];
    console.log(`${RUNS} runs each, median; idle RSS ${IDLE_AFTER_MS / 1000} s after /healthz first answered\n`);
    console.log('| node | to /healthz ms | CPU ms until then | idle RSS MB |');
    console.log('|---|---|---|---|');
    for (const [at, sample] of [compiled, source, floor].entries()) {
      console.log(
        `| ${variants[at]!.name} | ${sample.startupMs.toFixed(0)} | ${sample.startupCpuMs.toFixed(0)} | ${sample.idleRssMb.toFixed(1)} |`,
      );
    }
    console.log(
      `\ncompiled vs source: reaches /healthz ${(source.startupMs / compiled.startupMs).toFixed(2)}× sooner ` +
        `(${(source.startupCpuMs / compiled.startupCpuMs).toFixed(2)}× less CPU), ` +
        `idles at ${((compiled.idleRssMb / source.idleRssMb) * 100).toFixed(0)} % of the memory`,
    );
    console.log(
      `compiled over the floor: +${(compiled.startupMs - floor.startupMs).toFixed(0)} ms to /healthz, ` +
        `+${(compiled.idleRssMb - floor.idleRssMb).toFixed(1)} MB idle`,
    );
    console.log(
      `targets for the compiled node: ≤ ${TARGET_STARTUP_MS} ms (${compiled.startupMs <= TARGET_STARTUP_MS ? 'met' : 'missed'}), ` +
        `≤ ${TARGET_RSS_MB} MB (${compiled.idleRssMb <= TARGET_RSS_MB ? 'met' : 'missed'})`,
    );
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(args: string[]): Promise<Sample> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    let url: string | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`node exited ${child.exitCode}: ${stderr}`);
      url ??= /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url !== undefined && (await healthy(url))) break;
      await sleep(2);
    }
    const startupMs = performance.now() - startedAt;
    const startupCpuMs = cpuMs(child.pid!);
    await sleep(IDLE_AFTER_MS);
    return { startupMs, startupCpuMs, idleRssMb: residentMb(child.pid!) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Resident set size of a process, from /proc on Linux, else from ps. */
function residentMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kb !== undefined) return Number(kb) / 1024;
  } catch {
    // not Linux
  }
  return (
    Number(
      spawnSync('ps', ['-o', 'rss=', '-p', String(pid)])
        .stdout.toString()
        .trim(),
    ) / 1024
  );
}

/** User + system CPU of a process so far (Linux /proc; NaN elsewhere). Clock ticks are 10 ms. */
function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function median(samples: Sample[]): Sample {
  const middle = <T>(values: T[], key: (value: T) => number): number => {
    const sorted = values.map(key).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return {
    startupMs: middle(samples, (sample) => sample.startupMs),
    startupCpuMs: middle(samples, (sample) => sample.startupCpuMs),
    idleRssMb: middle(samples, (sample) => sample.idleRssMb),
  };
}

/** dist/ is rebuilt when any file under src/ is newer than it, so the bench never measures old code. */
function buildIfStale(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
    );
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist/cli.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built > newest(join(ROOT, 'src'))) return;
  console.log('building dist/ (npm run build) ...');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}
