/**
 * The last stage of the request pipeline: when a request is over (body fully relayed, the client
 * gone, or a WebSocket session closed), write its ledger line, count it in
 * quotamesh_requests_total and log its one info line. Token counts come from the provider's tap.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { Credential, ProviderPool, RiseClaim } from '../pool/index.ts';
import type { AnyProviderModule } from '../providers/index.ts';
import type { TokenUsage } from '../upstream/index.ts';
import type { Access } from './access.ts';
import type { Attribution, AttributedPoints } from './attribution.ts';
import type { Caller } from './auth.ts';
import type { Ledger } from './ledger.ts';
import type { ProxyOutcome } from './proxy.ts';
import type { Metrics } from './metrics.ts';

export interface RequestContext {
  caller: Caller;
  provider: AnyProviderModule;
  model: string | undefined;
  startedMs: number;
  /** The pool and route the request drew on: attribution converts to points of this route. */
  pool?: ProviderPool;
  access?: Access;
}

/** The credential that answered and the rise its answer showed, for attribution. */
export interface Answered {
  credential: Credential;
  claim?: RiseClaim | undefined;
}

/** Why a response ended before it was complete (the ledger's `outcome`). */
export type RequestCut = 'client_gone' | 'peer_gone' | 'upstream_gone';

export type RecordDeps = { ledger: Ledger; logger: Logger; clock: Clock; metrics: Metrics; attribution?: Attribution };

export function recordWhenDone(deps: RecordDeps, context: RequestContext, outcome: ProxyOutcome, response: ServerResponse): void {
  const upstream = outcome.upstream;
  const answered = outcome.answeredBy && { credential: outcome.answeredBy, claim: outcome.claim };
  if (upstream === undefined) return recordRequest(deps, context, outcome.credential, outcome.status, undefined, undefined, answered);
  const tap = context.provider.usageTap(upstream.headers['content-type']);
  upstream.on('data', (chunk: Buffer) => tap.push(chunk));
  // Who cut a response that did not complete: the upstream fails while the client is still
  // connected (a peer or the vendor went away), or the client's socket is gone first and the relay
  // then tears the upstream down (which also emits 'aborted', hence the socket check).
  let upstreamCut = false;
  const onUpstreamCut = (): void => {
    if (!upstream.complete && response.socket !== null && !response.socket.destroyed) upstreamCut = true;
  };
  upstream.once('aborted', onUpstreamCut);
  upstream.once('error', onUpstreamCut);
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    if (upstream.complete) return recordRequest(deps, context, outcome.credential, outcome.status, tap.finish(), undefined, answered);
    // A response the client abandoned half-way is recorded as 499, as nginx does; one cut by the
    // other side as 502 with who it was, so a dead peer is not blamed on the client.
    if (upstreamCut)
      return recordRequest(
        deps,
        context,
        outcome.credential,
        502,
        tap.finish(),
        outcome.fromPeer ? 'peer_gone' : 'upstream_gone',
        answered,
      );
    recordRequest(deps, context, outcome.credential, 499, tap.finish(), 'client_gone', answered);
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
  /** Set when the response was cut half-way: by the client, a peer, or the vendor. */
  cut?: RequestCut,
  answered?: Answered,
): void {
  const nowMs = deps.clock.now();
  const points = attribute(deps, context, usage, answered, nowMs);
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
    ...(usage?.cache_creation_1h_input_tokens === undefined
      ? {}
      : { cache_creation_1h_input_tokens: usage.cache_creation_1h_input_tokens }),
    status,
    duration_ms: Math.max(0, nowMs - context.startedMs),
    points_5h: points.points5h,
    points_weekly: points.pointsWeekly,
    ...(cut === undefined ? {} : { outcome: cut }),
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
      ...(cut === undefined ? {} : { outcome: cut }),
      durationMs: record.duration_ms,
      inputTokens: record.input_tokens,
      outputTokens: record.output_tokens,
    },
    'request',
  );
}

/** The points this request cost its route (issue 15); zero when nothing answered or no pool is known. */
function attribute(
  deps: RecordDeps,
  context: RequestContext,
  usage: TokenUsage | undefined,
  answered: Answered | undefined,
  nowMs: number,
): AttributedPoints {
  if (deps.attribution === undefined || answered === undefined || context.pool === undefined || context.access === undefined)
    return { points5h: 0, pointsWeekly: 0 };
  return deps.attribution.settle(
    {
      caller: context.caller,
      provider: context.provider.name,
      pool: context.pool,
      access: context.access,
      credential: answered.credential,
      claim: answered.claim,
      usage,
      cacheReadWeight: context.provider.cacheReadWeight,
    },
    nowMs,
  );
}
