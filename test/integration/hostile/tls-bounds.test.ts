/**
 * The head bounds hold on a TLS listener too: fastify gives https.createServer only its `https`
 * options, so the 64 KiB head limit and the slow-loris timeout once silently fell back to Node's
 * defaults (16 KiB, 60 s) as soon as a node served TLS.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const CERT_PATH = new URL('../tunnel/fixtures/localhost-cert.pem', import.meta.url).pathname;
const KEY_PATH = new URL('../tunnel/fixtures/localhost-key.pem', import.meta.url).pathname;
const CA = readFileSync(CERT_PATH);
const HEADERS_TIMEOUT_MS = 400;

let node: RunningNode;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qm-hostile-tls-'));
  const config = parseConfigValue(
    {
      name: 'tls-node',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      tls: { cert: CERT_PATH, key: KEY_PATH },
      users: [{ name: 'alice', token: 'alice-token-0123456789-abcdefgh' }],
    },
    { env: {}, homeDir: dir, baseDir: dir },
  );
  node = await startNode(config, { logger: createLogger({ level: 'silent' }), drainMs: 500, headersTimeoutMs: HEADERS_TIMEOUT_MS });
});
afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

function get(headers: Record<string, string>): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const request = https.request(`${node.url}/healthz`, { ca: CA, headers, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve('closed'));
    request.end();
  });
}

describe('head bounds on a TLS listener', () => {
  it('accepts a 40 KiB head (Node alone would answer 431 above 16 KiB)', async () => {
    expect(await get({ 'x-pad': 'x'.repeat(40 * 1024) })).toBe(200);
  });

  it('refuses a head above 64 KiB (431, or the TLS socket cut)', async () => {
    expect([431, 'closed']).toContain(await get({ 'x-pad': 'x'.repeat(70 * 1024) }));
  });

  it('cuts a head trickled one byte every 100 ms after headersTimeoutMs', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: node.port, ca: CA, servername: 'localhost' });
    let isClosed = false;
    socket.on('error', () => {});
    socket.on('close', () => (isClosed = true));
    const head = 'GET /healthz HTTP/1.1\r\nhost: x\r\nx-pad: a\r\n';
    let index = 0;
    const timer = setInterval(() => socket.writable && socket.write(head[index++ % head.length] ?? 'x'), 100);
    try {
      await waitFor(() => isClosed, { message: 'the node to cut the slow TLS head', timeoutMs: 10 * HEADERS_TIMEOUT_MS + 5_000 });
    } finally {
      clearInterval(timer);
      socket.destroy();
    }
  });
});
