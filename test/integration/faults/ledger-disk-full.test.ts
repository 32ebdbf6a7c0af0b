/**
 * A full disk under the usage ledger (CONFIG.md › State directory): `state_dir/usage.jsonl` is a symlink to
 * /dev/full, where every write fails with ENOSPC. Requests are still served, and the failure is
 * logged once, not once per request.
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { logLines } from '../../helpers/node-process.ts';

const MESSAGE = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const STREAM = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('usage ledger on a full disk', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('serves every request and logs the write error exactly once', async () => {
    harness = await startHarness({ chunkDelayMs: 0 });
    // The ledger opens its file on the first append, so this is in place before any line.
    await mkdir(dirname(harness.node.ledgerPath), { recursive: true });
    await rm(harness.node.ledgerPath, { force: true });
    await symlink('/dev/full', harness.node.ledgerPath);

    for (let index = 0; index < 10; index += 1) {
      const response = await fetch(`${harness.node.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json' },
        body: index % 2 === 0 ? MESSAGE : STREAM,
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(index % 2 === 0 ? /"type":"message"/ : /message_stop/);
    }

    expect(logLines(harness.logs, 'request')).toHaveLength(10);
    const failures = logLines(harness.logs, 'cannot write the usage ledger; requests are still served');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.err).toMatch(/ENOSPC/);
  });
});
