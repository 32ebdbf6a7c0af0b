/**
 * New certificate files under the same paths cannot be seen in the config, yet need a restart
 * like any TLS change: the reload says so, and the node keeps serving with what it started with.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigValue, startNode, type RunningNode } from '../../../src/node/index.ts';
import { capturingLogger } from '../../helpers/log-capture.ts';

const CERT = new URL('../tunnel/fixtures/localhost-cert.pem', import.meta.url).pathname;
const KEY = new URL('../tunnel/fixtures/localhost-key.pem', import.meta.url).pathname;

describe('reload with TLS', () => {
  let node: RunningNode | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await node?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reports renewed certificate files as needing a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-tls-reload-'));
    await copyFile(CERT, join(dir, 'cert.pem'));
    await copyFile(KEY, join(dir, 'key.pem'));
    const raw = {
      name: 'tls-node',
      listen: '127.0.0.1:0',
      state_dir: join(dir, 'state'),
      tls: { cert: 'cert.pem', key: 'key.pem' },
      users: [{ name: 'alice', token: 'alice-token-0123456789-abcdef' }],
    };
    const config = () => parseConfigValue(raw, { env: {}, homeDir: dir!, baseDir: dir! });
    node = await startNode(config(), { logger: capturingLogger().logger });
    expect((await node.reload(config())).restartRequired).toEqual([]);
    await writeFile(join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n');
    expect((await node.reload(config())).restartRequired).toEqual(['tls']);
  });
});
