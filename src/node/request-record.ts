/**
 * The last stage of the request pipeline: when a request is over (body fully relayed, the client
 * gone, or a WebSocket session closed), write its ledger line, count it in
 * quotamesh_requests_total and log its one info line. Token counts come from the provider's tap.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { AnyProviderModule } from '../providers/index.ts';
import type { TokenUsage } from '../upstream/index.ts';
import type { Caller } from './auth.ts';
import type { Ledger } from './ledger.ts';
import type { ProxyOutcome } from './proxy.ts';
import type { Metrics } from './metrics.ts';

export interface RequestContext {
  caller: Caller;
  provider: AnyProviderModule;
  model: string | undefined;
  startedMs: number;
}

export type RecordDeps = { ledger: Ledger; logger: Logger; clock: Clock; metrics: Metrics };

export function recordWhenDone(deps: RecordDeps, context: RequestContext, outcome: ProxyOutcome, response: ServerResponse): void {
  const upstream = outcome.upstream;
  if (upstream === undefined) return recordRequest(deps, context, outcome.credential, outcome.status, undefined);
  const tap = context.provider.usageTap(upstream.headers['content-type']);
  upstream.on('data', (chunk: Buffer) => tap.push(chunk));
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    // A response the client abandoned half-way is recorded as 499, as nginx does.
    const status = upstream.complete ? outcome.status : 499;
    recordRequest(deps, context, outcome.credential, status, tap.finish());
  };
  upstream.once('end', finish);
  response.once('close', finish);
}

/** One request, once it is over, whatever its transport: a ledger line, a metric, a log line. */
export function recordRequest(
  deps: RecordDeps,
  context: RequestContext,
  credential: string | undefined,
  status: number,
  usage: TokenUsage | undefined,
): void {
  const nowMs = deps.clock.now();
  const record = {
    time: new Date(nowMs).toISOString(),
    user: context.caller.kind === 'peer' ? null : context.caller.name,
    peer: context.caller.kind === 'peer' ? context.caller.name : null,
    provider: context.provider.name,
    credential: credential ?? null,
    model: context.model ?? null,
    input_tokens: usage?.input_tokens ?? 0,
    output_tokens: usage?.output_tokens ?? 0,
    cache_creation_input_tokens: usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage?.cache_read_input_tokens ?? 0,
    status,
    duration_ms: Math.max(0, nowMs - context.startedMs),
  };
  deps.ledger.append(record);
  deps.metrics.requests.inc({ provider: record.provider, credential: record.credential ?? 'none', status: String(status) });
  deps.logger.info(
    {
      provider: record.provider,
      user: record.user,
      peer: record.peer,
      credential: record.credential,
      model: record.model,
      status,
      durationMs: record.duration_ms,
      inputTokens: record.input_tokens,
      outputTokens: record.output_tokens,
    },
    'request',
  );
}
