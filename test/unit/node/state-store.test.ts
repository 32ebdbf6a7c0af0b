import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../src/node/state-store.ts';

const logger = pino({ level: 'silent' });
let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('StateStore sections', () => {
  it('restores a registered section, saves it beside the credentials, and keeps sections nobody registered', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-state-'));
    const path = join(dir, 'state.json');
    await writeFile(path, JSON.stringify({ version: 1, credentials: { 'claude/a': { x: 1 } }, disabled: { old: true }, future: [1, 2] }));
    const store = new StateStore(dir, logger);
    await store.load();
    const restored: unknown[] = [];
    let current: unknown = { now: true };
    store.registerSection('disabled', { restore: (value) => restored.push(value), persist: () => current });
    expect(restored).toEqual([{ old: true }]);
    await store.save();
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      version: 1,
      credentials: { 'claude/a': { x: 1 } },
      disabled: { now: true },
      future: [1, 2],
    });
    current = {};
    await store.close();
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ disabled: {} });
  });

  it('a file that is not an object restores nothing and fails nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'qm-state-'));
    await writeFile(join(dir, 'state.json'), '[1, 2, 3]');
    const store = new StateStore(dir, logger);
    await store.load();
    const restored: unknown[] = [];
    store.registerSection('disabled', { restore: (value) => restored.push(value), persist: () => ({}) });
    expect(restored).toEqual([]);
    await store.close();
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toEqual({ version: 1, credentials: {}, disabled: {} });
  });
});
