/**
 * `GET /v1/admin/usage?days=N` (admin token; PROTOCOL.md › Usage series): the ledger as usage per
 * UTC day, per user and per credential, in tokens and in dollars at API prices, for the
 * dashboard's chart. Read from `usage.jsonl` at each call, streamed line by line.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { QuotaMeshError } from '../lib/index.ts';
import { providerFor, type AnyProviderModule } from '../providers/index.ts';
import { MAX_DAYS, parseLedgerLine, usageSeriesBuilder, type Series, type UsageSeries } from '../status/index.ts';
import type { Caller } from './auth.ts';
import { errors } from './error-reply.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from './fastify.ts';
import type { ServerDeps } from './server-deps.ts';

export const USAGE_PATH = '/v1/admin/usage';
const DEFAULT_DAYS = 14;

export function registerUsageRoute(
  app: FastifyInstance,
  deps: Pick<ServerDeps, 'ledger' | 'clock' | 'config'>,
  callerOf: (request: FastifyRequest) => Caller | undefined,
  replyError: (reply: FastifyReply, provider: AnyProviderModule, error: QuotaMeshError) => FastifyReply,
): void {
  app.get(USAGE_PATH, async (request, reply) => {
    const provider = providerFor(request.url);
    const caller = callerOf(request);
    if (caller === undefined) return replyError(reply, provider, errors.unauthenticated());
    if (caller.kind !== 'admin') return replyError(reply, provider, errors.forbidden(`${USAGE_PATH} needs the admin token`));
    const raw = (request.query as Record<string, unknown>).days;
    const days = raw === undefined ? DEFAULT_DAYS : Number(raw);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      return replyError(reply, provider, errors.badInput(400, 'bad_request', `days must be a whole number from 1 to ${MAX_DAYS}`));
    }
    const series = await readUsageSeries(deps.ledger.path, deps.clock.now(), days);
    return reply.header('cache-control', 'no-store').send(usagePayload(deps.config.name, series));
  });
}

async function readUsageSeries(path: string, nowMs: number, days: number): Promise<UsageSeries> {
  const builder = usageSeriesBuilder({ nowMs, days });
  const stream = createReadStream(path, { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      const entry = line.trim() === '' ? undefined : parseLedgerLine(line);
      if (entry !== undefined) builder.add(entry);
    }
  } catch (error) {
    // No ledger yet: no requests yet.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    stream.destroy();
  }
  return builder.result();
}

function usagePayload(node: string, series: UsageSeries): Record<string, unknown> {
  const wire = (item: Series) => ({ key: item.key, tokens: item.tokens, cost_usd: item.costUsd.map(roundMicros) });
  return {
    node,
    days: series.days,
    users: series.users.map(wire),
    credentials: series.credentials.map(wire),
    unpriced_tokens: series.unpricedTokens,
  };
}

/** Dollars to the micro-dollar: below that is float noise, not money. */
function roundMicros(dollars: number): number {
  return Math.round(dollars * 1e6) / 1e6;
}
