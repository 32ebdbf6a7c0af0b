/**
 * Constant time by construction (PROTOCOL.md › HTTP surface, Tunnel handshake): every presented
 * token or signature is compared against every configured one with crypto.timingSafeEqual, whether
 * or where it matches, so the count of comparisons (and their inputs' lengths) says nothing about
 * which peer or user exists.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const comparisons = vi.hoisted(() => ({ lengths: [] as Array<[number, number]> }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    timingSafeEqual: (left: NodeJS.ArrayBufferView, right: NodeJS.ArrayBufferView) => {
      comparisons.lengths.push([left.byteLength, right.byteLength]);
      return actual.timingSafeEqual(left, right);
    },
  };
});

const { parseAuthorization, signAuthorization, verifyAuthorization } = await import('../../../src/tunnel/handshake.ts');
const { TokenTable } = await import('../../../src/node/auth.ts');

const PEERS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'].map((name) => ({ name, token: `${name}-token-0123456789-abcdefgh` }));
const NOW_MS = 1_800_000_000_000;

beforeEach(() => {
  comparisons.lengths.length = 0;
});

describe('tunnel signatures', () => {
  it.each([
    ['the first peer', PEERS[0]!.token],
    ['the last peer', PEERS[4]!.token],
    ['no peer', 'unknown-token-0123456789-abcdefgh'],
  ])('a signature by %s is compared against every peer, 32 bytes to 32', (_label, token) => {
    const authorization = parseAuthorization(signAuthorization({ node: 'n', token, nowMs: NOW_MS }));
    verifyAuthorization(authorization!, PEERS, NOW_MS);
    expect(comparisons.lengths).toEqual(PEERS.map(() => [32, 32]));
  });
});

describe('client tokens', () => {
  const table = new TokenTable({
    users: PEERS.slice(0, 3).map((peer) => ({ name: peer.name, token: peer.token, allow_external_usage: false })),
    peers: [],
    admin_token: 'admin-token-0123456789-abcdefgh',
  });

  it.each([
    'alpha-token-0123456789-abcdefgh',
    'admin-token-0123456789-abcdefgh',
    'x',
    'a much longer token than any configured one, 0123456789',
  ])('token %j is compared against every entry as a fixed-length digest', (token) => {
    table.lookup(token);
    expect(comparisons.lengths).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
      [32, 32],
    ]);
  });
});
