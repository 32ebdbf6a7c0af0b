/**
 * fast-check generators for hostile HTTP requests: paths that climb (`..`, `%2e%2e`), carry NULs
 * or very long segments; odd and duplicated auth and beta headers; garbled and random bodies.
 * Everything stays sendable by Node's own client; what its parser refuses is not our code's to answer.
 */
import fc from 'fast-check';
import type { RawRequest } from './raw-http.ts';

const PREFIXES = {
  claude: [
    '/v1/messages',
    '/v1/messages/count_tokens',
    '/v1/models',
    '/v1/',
    '/v1',
    '/v1/status',
    '/ccm/v1/status',
    '/',
    '/healthz',
    '/metrics',
    '/nope',
    '/v1/tunnel',
  ],
  codex: ['/v1/responses', '/v1/responses/', '/v1/responses/compact', '/v1/responses/resp_1', '/ocm/v1/status', '/v1/status'],
};

const segment = fc.oneof(
  fc.constantFrom('..', '.', '%2e%2e', '%2E.', '%00', '%ff', '%', '%zz', '', '~', '%2f..%2f', 'a%00b', ';', '@', ':', '*', '\u00e9'),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{0,12}$/),
  fc.integer({ min: 256, max: 6000 }).map((length) => 'x'.repeat(length)),
);

/** Never `watch=true`: a status stream would (correctly) never end. */
const query = fc.option(
  fc.oneof(
    fc.constantFrom('beta=true', 'provider=codex', 'provider=%00', 'x=..%2f', '', '&&==', 'provider=claude&provider=codex'),
    fc.stringMatching(/^[a-z0-9=&%]{0,16}$/),
  ),
  { nil: undefined },
);

export function path(provider: 'claude' | 'codex'): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...PREFIXES[provider]), fc.array(segment, { maxLength: 4 }), query).map(([prefix, segments, search]) => {
    const joined = segments.length === 0 ? prefix : `${prefix.replace(/\/$/, '')}/${segments.join('/')}`;
    return search === undefined ? joined : `${joined}?${search}`;
  });
}

export const method = fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND');

/** A header value Node's client will send: visible ASCII and spaces, no CR/LF. */
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

function authorization(tokens: { user: string; admin: string }): fc.Arbitrary<Array<[string, string]>> {
  return fc.oneof(
    fc.constant([['authorization', `Bearer ${tokens.user}`]] as Array<[string, string]>),
    fc.constant([['x-api-key', tokens.user]] as Array<[string, string]>),
    fc.constant([['authorization', `Bearer ${tokens.admin}`]] as Array<[string, string]>),
    fc.constant([] as Array<[string, string]>),
    fc
      .constantFrom(
        'Bearer',
        'Bearer ',
        'bearer  x',
        'Basic dXNlcjpwYXNz',
        `Bearer ${tokens.user} extra`,
        `Bearer ${tokens.user.slice(0, -1)}`,
        'QuotaMesh node=x, ts=1, nonce=a, sig=b',
      )
      .map((value) => [['authorization', value]] as Array<[string, string]>),
    headerText.map((value) => [['authorization', value]] as Array<[string, string]>),
    fc.constant([
      ['authorization', 'Bearer wrong-token-0123456789abcdef'],
      ['authorization', `Bearer ${tokens.user}`],
    ] as Array<[string, string]>),
    fc.constant([
      ['x-api-key', ''],
      ['x-api-key', tokens.user],
    ] as Array<[string, string]>),
  );
}

const optionalHeader = (name: string, values: fc.Arbitrary<string>): fc.Arbitrary<Array<[string, string]>> =>
  fc.array(
    values.map((value) => [name, value] as [string, string]),
    { maxLength: 3 },
  );

const beta = fc.oneof(
  fc.constantFrom('oauth-2025-04-20', 'interleaved-thinking-2025-05-14,oauth-2025-04-20', ',,,', ' , '),
  headerText,
  fc.integer({ min: 1000, max: 12_000 }).map((length) => `b-${'x'.repeat(length)}`),
  fc.integer({ min: 50, max: 400 }).map((count) => Array.from({ length: count }, (_, index) => `beta-${index}`).join(',')),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  '',
  '*/*',
  ';;;',
  'application/json\tx',
);

const via = fc.oneof(
  fc.constantFrom(',,,', ' ', 'a,b', 'a,b,c,d,e,f', 'test-node', 'x, test-node ', '\t'),
  headerText,
  fc.integer({ min: 100, max: 5000 }).map((count) => Array.from({ length: count }, () => 'n').join(',')),
);

const session = fc.oneof(
  fc.constantFrom('', ' ', 'session', '..', '%00', '../../etc'),
  headerText,
  fc.integer({ min: 1000, max: 8000 }).map((length) => 's'.repeat(length)),
);

export function headers(tokens: { user: string; admin: string }): fc.Arbitrary<Array<[string, string]>> {
  return fc
    .tuple(
      authorization(tokens),
      optionalHeader('anthropic-beta', beta),
      optionalHeader('content-type', contentType),
      optionalHeader('x-quotamesh-via', via),
      optionalHeader('session_id', session),
      optionalHeader('session-id', session),
      optionalHeader('x-claude-code-session-id', session),
      optionalHeader('anthropic-version', fc.constantFrom('2023-06-01', '', 'x')),
      optionalHeader('accept-encoding', fc.constantFrom('gzip', 'br', 'identity', 'x')),
      optionalHeader('expect', fc.constantFrom('100-continue', 'nonsense')),
    )
    .map((groups) => groups.flat());
}

const VALID = {
  claude: { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
  codex: { model: 'gpt-5-codex', input: 'hi', stream: true },
};

export function body(provider: 'claude' | 'codex'): fc.Arbitrary<Buffer | undefined> {
  const valid = JSON.stringify(VALID[provider]);
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(Buffer.from(valid)),
    fc.integer({ min: 0, max: valid.length - 1 }).map((cut) => Buffer.from(valid.slice(0, cut))),
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
    fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)),
    fc
      .record({
        model: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        metadata: fc.oneof(fc.constant({ user_id: 'x_session_..' }), fc.jsonValue()),
        messages: fc.jsonValue(),
      })
      .map((value) => Buffer.from(JSON.stringify(value))),
    fc.integer({ min: 1000, max: 20_000 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))),
    fc.constantFrom('{', '}', 'null', '""', '\ufeff{}', '{"model":"\ud800"}', '{"__proto__":{"x":1}}').map((text) => Buffer.from(text)),
  );
}

/**
 * The simulator behind the node keeps Node's default 16 KiB header limit and would answer 431
 * itself; our own 64 KiB bound has its own test, so the fuzz stays below the simulator's.
 */
const HEAD_BYTES = 14 * 1024;

export function request(provider: 'claude' | 'codex', tokens: { user: string; admin: string }): fc.Arbitrary<RawRequest> {
  return fc
    .record({ method, path: path(provider), headers: headers(tokens), body: body(provider) })
    .filter(
      (sent) => sent.path.length + sent.headers.reduce((total, [name, value]) => total + name.length + value.length + 4, 0) < HEAD_BYTES,
    );
}
