/**
 * When a proxied request is over (body fully relayed, or the client gone), write its ledger line
 * and its one info log line. Token counts are read from the body as it streams past.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../lib/index.ts';
import type { Provider } from '../status/index.ts';
import { claudeUsageTap, codexUsageTap, type TokenUsage } from '../upstream/index.ts';
import type { Caller } from './auth.ts';
import type { Ledger } from './ledger.ts';
import type { ProxyOutcome } from './proxy.ts';
import type { Metrics } from './metrics.ts';

export interface RequestContext {
  caller: Caller;
  provider: Provider;
  model: string | undefined;
  startedMs: number;
}

export function recordWhenDone(
  deps: { ledger: Ledger; logger: Logger; clock: Clock; metrics: Metrics },
  context: RequestContext,
  outcome: ProxyOutcome,
  response: ServerResponse,
): void {
  const upstream = outcome.upstream;
  if (upstream === undefined) return write(deps, context, outcome.credential, outcome.status, undefined);
  const tap = (context.provider === 'codex' ? codexUsageTap : claudeUsageTap)(upstream.headers['content-type']);
  upstream.on('data', (chunk: Buffer) => tap.push(chunk));
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    // A response the client abandoned half-way is recorded as 499, as nginx does.
    const status = upstream.complete ? outcome.status : 499;
    write(deps, context, outcome.credential, status, tap.finish());
  };
  upstream.once('end', finish);
  response.once('close', finish);
}

function write(
  deps: { ledger: Ledger; logger: Logger; clock: Clock; metrics: Metrics },
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
    provider: context.provider,
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
    { user: record.user, peer: record.peer, credential: record.credential, model: record.model, status, durationMs: record.duration_ms, inputTokens: record.input_tokens, outputTokens: record.output_tokens },
    'request',
  );
}
