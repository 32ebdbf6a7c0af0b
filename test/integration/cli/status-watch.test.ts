import { afterEach, describe, expect, it } from 'vitest';
import { runStatus, type StatusOutput } from '../../../src/commands/status.ts';
import { startHarness, type Harness } from '../../helpers/node-harness.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

function capture(isTTY: boolean): StatusOutput & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns: 90, write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

describe('quotamesh status --watch (in process)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('on a TTY clears the screen before every frame, in colour, and exits 1 when the node goes', async () => {
    harness = await startHarness();
    const output = capture(true);
    const running = runStatus({ url: harness.node.url, token: harness.adminToken, watch: true, json: false }, { stdout: output, env: {} });
    await waitFor(() => output.text().startsWith(CLEAR_SCREEN), 'the first full-screen frame');
    expect(output.text()).toContain('\x1b[32musable');
    await harness.close();
    harness = undefined;
    expect(await running).toBe(1);
  });

  it('off a TTY, or under NO_COLOR, appends plain frames', async () => {
    harness = await startHarness();
    const h = harness;
    const watchers: Array<Promise<number>> = [];
    for (const [output, env] of [
      [capture(false), {}],
      [capture(true), { NO_COLOR: '1' }],
    ] as const) {
      const running = runStatus({ url: h.node.url, token: h.userToken, watch: true, json: false }, { stdout: output, env });
      await waitFor(() => output.text().includes('5 hour'), 'the 5 hour window in the output');
      expect(output.text()).not.toContain('\x1b[3');
      if (env.NO_COLOR === undefined) expect(output.text()).not.toContain(CLEAR_SCREEN);
      watchers.push(running);
    }
    await harness.close();
    harness = undefined;
    expect(await Promise.all(watchers)).toEqual([1, 1]);
  });
});
