/**
 * sing-box's reverse upgrade (service/ccm/reverse.go): the response head as the connector reads
 * it, fed in every split; the receiver's refusals in its order, with its bodies.
 */
import { describe, expect, it } from 'vitest';
import {
  INVALID_REVERSE_TOKEN,
  matchToken,
  readResponseHead,
  refusalBody,
  REVERSE_SWITCHING_RESPONSE,
  reverseRequestPath,
  upgradeRequest,
  upgradeToken,
} from '../../../src/tunnel/reverse-handshake.ts';

const YAMUX_PING = Buffer.from([0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7]);

describe('readResponseHead', () => {
  it('hands every byte after the head to yamux, whatever the split', () => {
    const whole = Buffer.concat([Buffer.from(REVERSE_SWITCHING_RESPONSE), YAMUX_PING]);
    for (let split = 1; split < whole.length; split++) {
      const first = readResponseHead(whole.subarray(0, split));
      const head = first.kind === 'switched' ? first : readResponseHead(whole);
      expect(head).toEqual({
        kind: 'switched',
        rest: split >= REVERSE_SWITCHING_RESPONSE.length ? whole.subarray(REVERSE_SWITCHING_RESPONSE.length, split) : YAMUX_PING,
      });
      if (split < REVERSE_SWITCHING_RESPONSE.length) expect(first.kind).toBe('incomplete');
    }
  });

  it('requires the status line to start with HTTP/1.1 101, as sing-box does', () => {
    expect(readResponseHead(Buffer.from('HTTP/1.0 101 Switching Protocols\r\n\r\n'))).toMatchObject({ kind: 'refused', status: 101 });
    expect(readResponseHead(Buffer.from('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'))).toEqual({
      kind: 'refused',
      status: 401,
      statusLine: 'HTTP/1.1 401 Unauthorized',
    });
  });

  it('gives up on a head longer than 16 KiB instead of buffering it', () => {
    expect(readResponseHead(Buffer.alloc(17 * 1024, 'a'))).toEqual({ kind: 'too_long' });
  });
});

describe('the upgrade request', () => {
  it("keeps the url's path prefix without its trailing slash", () => {
    expect(reverseRequestPath(new URL('https://a.example/ccm-node/'), 'ccm')).toBe('/ccm-node/ccm/v1/reverse');
    expect(reverseRequestPath(new URL('http://a.example:8080'), 'ocm')).toBe('/ocm/v1/reverse');
  });

  it('is written as sing-box writes it', () => {
    expect(upgradeRequest(new URL('http://hub.example:8080/x'), 'ccm', 'T')).toBe(
      'GET /x/ccm/v1/reverse HTTP/1.1\r\nHost: hub.example:8080\r\nConnection: Upgrade\r\nUpgrade: reverse-proxy\r\nAuthorization: Bearer T\r\n\r\n',
    );
  });
});

describe('upgradeToken', () => {
  const good = { upgrade: 'reverse-proxy', authorization: 'Bearer secret', hasApiKey: false };
  it.each([
    [{ ...good, upgrade: 'websocket' }, 400, 'missing Upgrade header'],
    [{ ...good, hasApiKey: true }, 400, 'API key authentication is not supported; use Authorization: Bearer with a CCM user token'],
    [{ ...good, authorization: undefined }, 401, 'missing api key'],
    [{ ...good, authorization: 'Basic abc' }, 401, 'invalid api key format'],
  ])('refuses %o with %i %s', (headers, status, message) => {
    expect(upgradeToken(headers, 'ccm')).toEqual({ refusal: expect.objectContaining({ status, message }) });
  });

  it('takes the Bearer token', () => {
    expect(upgradeToken(good, 'ocm')).toEqual({ token: 'secret' });
  });
});

describe('refusalBody', () => {
  it("is Anthropic's error shape for CCM and OpenAI's for OCM, with json.Encoder's newline", () => {
    expect(refusalBody('ccm', INVALID_REVERSE_TOKEN)).toBe(
      '{"error":{"message":"invalid reverse token","type":"authentication_error"},"request_id":"","type":"error"}\n',
    );
    expect(refusalBody('ocm', INVALID_REVERSE_TOKEN)).toBe(
      '{"error":{"code":"","message":"invalid reverse token","param":"","type":"authentication_error"}}\n',
    );
  });
});

describe('matchToken', () => {
  it('finds the peer whose token it is, and nobody for a prefix or a longer token', () => {
    const peers = [
      { name: 'a', token: 'token-a-0123456789' },
      { name: 'b', token: 'token-b-0123456789' },
    ];
    expect(matchToken(peers, 'token-b-0123456789')?.name).toBe('b');
    expect(matchToken(peers, 'token-b-012345678')).toBeUndefined();
    expect(matchToken(peers, 'token-b-01234567890')).toBeUndefined();
  });
});
