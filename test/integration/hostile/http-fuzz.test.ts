/**
 * Issue 8 "hostile input": random methods, paths, header sets and bodies against a real node in
 * front of a healthy simulator. The node must never answer 5xx from its own code, never crash,
 * and every answer of its own must be in the provider's error shape.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startHarness, USER_TOKEN, type Harness } from '../../helpers/node-harness.ts';
import { request } from './arbitraries.ts';
import { healthz, isClaudeError, isCodexError, providerOfPath, rawRequest, type RawAnswer, type RawRequest } from './raw-http.ts';

/** HOSTILE_RUNS=5000 for a longer hunt; CI keeps the suite fast. */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);
/**
 * A new seed each run, so every run explores new inputs; FUZZ_SEED replays one exactly (the
 * same seed and run count give the same requests), and a failure says how.
 */
const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 0x7fff_ffff) : Number(process.env.FUZZ_SEED);
if (!Number.isSafeInteger(SEED)) throw new Error(`FUZZ_SEED must be an integer, not ${process.env.FUZZ_SEED}`);

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ chunkDelayMs: 0, codexAccounts: [{ id: 'cx-a', plan: 'pro' }] });
});
afterAll(async () => {
  await harness?.close();
});

/** The paths a relayed request takes towards the simulator (usage polls and refreshes excluded). */
function isRelayed(path: string): boolean {
  return (path.startsWith('/v1/') && !path.startsWith('/v1/oauth/')) || path.startsWith('/backend-api/codex/');
}

/** Loop protection answers 508 by design (PROTOCOL.md › Errors): a 5xx from us that is not a failure. */
function isLoop(sent: RawRequest): boolean {
  const names = sent.headers
    .filter(([name]) => name === 'x-quotamesh-via')
    .flatMap(([, value]) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.includes('test-node') || names.length > 4;
}

/**
 * Node's HTTP layer answers before any route exists: what its parser cannot read (fastify's
 * clientError body) and an `Expect` it does not know (417, RFC 9110 §10.1.1).
 */
function isParserRefusal(answer: RawAnswer): boolean {
  return answer.body.includes('"message":"Client Error"') || answer.status === 417;
}

async function check(sent: RawRequest): Promise<void> {
  const before = harness.sim.received.length;
  const answer = await rawRequest(harness.node.url, sent);
  if (answer === 'closed' || isParserRefusal(answer)) return;
  const forwarded = harness.sim.received.slice(before).filter((received) => isRelayed(received.path));
  const relayed = forwarded.length > 0;
  for (const received of forwarded) {
    // However the path climbs, what the vendor resolves stays under the provider's API prefix.
    const resolved = new URL(received.path, 'http://upstream.invalid').pathname;
    expect(
      resolved.startsWith('/v1/') || resolved.startsWith('/backend-api/codex/'),
      `${sent.path} reached the upstream as ${received.path}`,
    ).toBe(true);
  }
  const context = `${sent.method} ${sent.path.slice(0, 200)} → ${answer.status} ${answer.body.slice(0, 300)}`;
  if (relayed) {
    // The simulator is healthy: a 5xx here would still be a failure worth seeing.
    expect(answer.status, context).toBeLessThan(500);
    return;
  }
  if (answer.status >= 500) expect(isLoop(sent) && answer.status === 508, context).toBe(true);
  if (answer.status >= 400 && sent.method !== 'HEAD') {
    const provider = providerOfPath(sent.path);
    expect(provider === 'codex' ? isCodexError(answer.body) : isClaudeError(answer.body), context).toBe(true);
  }
}

async function fuzz(requests: fc.Arbitrary<RawRequest>): Promise<void> {
  const details = await fc.check(fc.asyncProperty(requests, check), { seed: SEED, numRuns: RUNS });
  if (!details.failed) return;
  const replay = `FUZZ_SEED=${SEED} HOSTILE_RUNS=${RUNS} npx vitest run test/integration/hostile/http-fuzz.test.ts`;
  // The report names the shrunk counterexample; the cause is the assertion it broke.
  throw new Error(`HTTP fuzz failed with seed ${SEED}; replay it with\n  ${replay}\n${fc.defaultReportMessage(details) ?? ''}`, {
    cause: details.errorInstance,
  });
}

describe('HTTP fuzz against a node', () => {
  const tokens = (): { user: string; admin: string } => ({ user: USER_TOKEN, admin: ADMIN_TOKEN });

  it('Claude paths: no 5xx of our own, every error of ours in Anthropic shape', async () => {
    await fuzz(request('claude', tokens()));
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('Codex paths: no 5xx of our own, every error of ours in OpenAI shape', async () => {
    await fuzz(request('codex', tokens()));
    expect(await healthz(harness.node.url)).toBe(true);
  });

  it('is still serving real requests after the fuzz, and logged no internal error', async () => {
    const answer = await rawRequest(harness.node.url, {
      method: 'POST',
      path: '/v1/messages',
      headers: [
        ['authorization', `Bearer ${harness.userToken}`],
        ['content-type', 'application/json'],
      ],
      body: Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })),
    });
    expect(answer !== 'closed' && answer.status).toBe(200);
    expect(harness.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
