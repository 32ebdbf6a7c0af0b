/**
 * A closed-loop load generator: `concurrency` workers each send a request, read the whole
 * response, and go again, for `durationMs`. Reports requests/s and latency percentiles.
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  concurrency: number;
  durationMs: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const body = Buffer.from(options.body);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const begin = performance.now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          agent,
          headers: { ...options.headers, 'content-length': body.length },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - begin);
            else errors += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
  };
}

/**
 * An open-loop load: requests start at a fixed rate whatever the answers do, so latency is
 * measured at a given load instead of at saturation (where it is only queueing).
 */
export async function runOpenLoad(
  options: Omit<LoadOptions, 'concurrency'> & { ratePerSecond: number; maxInFlight: number },
): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const body = Buffer.from(options.body);
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  const started = performance.now();
  const pending: Array<Promise<void>> = [];
  const intervalMs = 1000 / options.ratePerSecond;
  for (let index = 0; performance.now() - started < options.durationMs; index += 1) {
    const due = started + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= options.maxInFlight) {
      errors += 1;
      continue;
    }
    inFlight += 1;
    pending.push(
      new Promise<void>((resolve) => {
        const begin = performance.now();
        const done = (ok: boolean): void => {
          inFlight -= 1;
          if (ok) latencies.push(performance.now() - begin);
          else errors += 1;
          resolve();
        };
        const req = request(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            agent,
            headers: { ...options.headers, 'content-length': body.length },
          },
          (res) => {
            res.on('data', () => {});
            res.on('end', () => done(res.statusCode === 200));
          },
        );
        req.on('error', () => done(false));
        req.end(body);
      }),
    );
  }
  await Promise.all(pending);
  const elapsedSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
  };
}
