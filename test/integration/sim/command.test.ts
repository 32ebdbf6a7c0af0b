import { access, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimCommand } from '../../../src/sim/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const stop = new AbortController();
afterEach(() => stop.abort());

describe('runSimCommand', () => {
  it('prints the URL and credential files, serves until stopped, then cleans up', async () => {
    const lines: string[] = [];
    const running = runSimCommand({ accounts: 2 }, { print: (line) => lines.push(line), signal: stop.signal });
    await waitFor(() => lines.some((line) => line.startsWith('Press Ctrl-C')), "the sim command's 'Press Ctrl-C' line");

    const url = /listening on (\S+)/.exec(lines[0] ?? '')?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const files = lines.map((line) => /^ {2}account-\d \(\w+\): (.+)$/.exec(line)?.[1]).filter((file) => file !== undefined);
    expect(files).toHaveLength(2);
    const credential = JSON.parse(await readFile(files[0] ?? '', 'utf8')) as { claudeAiOauth: { accessToken: string } };
    const state = (await (await fetch(`${url}/_sim/state`)).json()) as { accounts: Array<{ accessToken: string }> };
    expect(credential.claudeAiOauth.accessToken).toBe(state.accounts[0]?.accessToken);

    stop.abort();
    await running;
    await expect(access(files[0] ?? '')).rejects.toThrow();
  });
});
