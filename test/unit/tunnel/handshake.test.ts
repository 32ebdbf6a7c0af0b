import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../../src/tunnel/failure-limiter.ts';
import { parseAuthorization, signAuthorization, tunnelUrl, verifyAuthorization } from '../../../src/tunnel/handshake.ts';
import { NonceCache } from '../../../src/tunnel/nonce-cache.ts';

const nowMs = Date.UTC(2026, 10, 21, 12, 0, 0);
const peers = [
  { name: 'carol', token: 'carol-token-0123456789' },
  { name: 'bob-laptop', token: 'bob-token-0123456789ab' },
];
const nonce = Buffer.alloc(16, 1).toString('base64url');

describe('tunnel authorization', () => {
  it('signs the documented string with HMAC-SHA256', () => {
    const header = signAuthorization({ node: 'laptop', token: 'bob-token-0123456789ab', nowMs, nonce });
    const signature = createHmac('sha256', 'bob-token-0123456789ab')
      .update(`quotamesh-tunnel\nlaptop\n1795262400\n${nonce}`)
      .digest('base64url');
    expect(header).toBe(`QuotaMesh node=laptop, ts=1795262400, nonce=${nonce}, sig=${signature}`);
    const parsed = parseAuthorization(header)!;
    expect(parsed).toMatchObject({ node: 'laptop', timestampSeconds: 1795262400, nonce });
    // The peer is found by token, not by the name the connector calls itself.
    expect(verifyAuthorization(parsed, peers, nowMs)?.name).toBe('bob-laptop');
  });

  it.each([
    ['300 s early', -300_000, 'bob-laptop'],
    ['300 s late', 300_000, 'bob-laptop'],
    ['301 s early', -301_000, undefined],
    ['301 s late', 301_000, undefined],
  ])('checks the timestamp window: %s', (_name, skewMs, expected) => {
    const parsed = parseAuthorization(
      signAuthorization({ node: 'laptop', token: 'bob-token-0123456789ab', nowMs: nowMs + skewMs, nonce }),
    )!;
    expect(verifyAuthorization(parsed, peers, nowMs)?.name).toBe(expected);
  });

  it('refuses a signature made with an unknown token or over another name', () => {
    const foreign = parseAuthorization(signAuthorization({ node: 'laptop', token: 'mallory-token-012345678', nowMs, nonce }))!;
    expect(verifyAuthorization(foreign, peers, nowMs)).toBeUndefined();
    const renamed = {
      ...parseAuthorization(signAuthorization({ node: 'laptop', token: 'bob-token-0123456789ab', nowMs, nonce }))!,
      node: 'hub',
    };
    expect(verifyAuthorization(renamed, peers, nowMs)).toBeUndefined();
  });

  it.each([
    [undefined],
    [''],
    ['Bearer abc'],
    ['QuotaMesh'],
    ['QuotaMesh node=a, ts=1, nonce=x, sig=y'],
    [`QuotaMesh node=, ts=1, nonce=${nonce}, sig=${Buffer.alloc(32).toString('base64url')}`],
    [`QuotaMesh node=a, ts=-1, nonce=${nonce}, sig=${Buffer.alloc(32).toString('base64url')}`],
    [`QuotaMesh node=a, ts=1, nonce=${nonce}, sig=${Buffer.alloc(31).toString('base64url')}`],
    [`QuotaMesh node=a, ts=1, nonce=${nonce}`],
    [`QuotaMesh node=a ts=1 nonce=${nonce}`],
    ['QuotaMesh ' + 'x'.repeat(2000)],
  ])('parses %j as no authorization', (header) => {
    expect(parseAuthorization(header)).toBeUndefined();
  });
});

describe('nonce cache', () => {
  it('refuses a nonce within ten minutes and forgets it after', () => {
    const cache = new NonceCache();
    expect(cache.remember('n1', nowMs)).toBe(true);
    expect(cache.remember('n1', nowMs + 599_999)).toBe(false);
    expect(cache.remember('n1', nowMs + 600_000)).toBe(true);
  });

  it('stays within its size cap', () => {
    const cache = new NonceCache({ maxEntries: 3 });
    for (const nonce of ['a', 'b', 'c', 'd']) cache.remember(nonce, nowMs);
    expect(cache.size).toBe(3);
  });
});

describe('failure limiter', () => {
  it('blocks an address past the limit until its window ends, others unaffected', () => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 60_000 });
    limiter.recordFailure('10.0.0.1', nowMs);
    expect(limiter.retryAfterMs('10.0.0.1', nowMs)).toBe(0);
    limiter.recordFailure('10.0.0.1', nowMs + 1_000);
    expect(limiter.retryAfterMs('10.0.0.1', nowMs + 1_000)).toBe(59_000);
    expect(limiter.retryAfterMs('10.0.0.2', nowMs + 1_000)).toBe(0);
    expect(limiter.retryAfterMs('10.0.0.1', nowMs + 60_000)).toBe(0);
  });
});

describe('tunnel url', () => {
  it.each([
    ['https://hub.example.com:8787', 'wss://hub.example.com:8787/v1/tunnel'],
    ['http://127.0.0.1:9000/', 'ws://127.0.0.1:9000/v1/tunnel'],
    ['https://a.example/node/', 'wss://a.example/node/v1/tunnel'],
    ['wss://a.example/v1/tunnel', 'wss://a.example/v1/tunnel'],
  ])('%s → %s', (input, expected) => {
    expect(tunnelUrl(input).href).toBe(expected);
  });
});
