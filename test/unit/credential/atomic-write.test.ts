import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whyNotWritable, writeFileAtomic } from '../../../src/pool/index.ts';

let base = '';
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'qm-atomic-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file with mode 0600 and leaves no temp file behind', async () => {
    const path = join(base, '.credentials.json');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(base)).toEqual(['.credentials.json']);
  });

  it('writes through a symlink and keeps the link', async () => {
    const real = join(base, 'real.json');
    const link = join(base, 'link.json');
    await writeFile(real, 'old');
    await symlink(real, link);
    await writeFileAtomic(link, 'new');
    expect(await readFile(real, 'utf8')).toBe('new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});

describe('whyNotWritable', () => {
  it('accepts a normal file and refuses one without write bits', async () => {
    const path = join(base, 'file.json');
    await writeFile(path, '{}', { mode: 0o600 });
    expect(await whyNotWritable(path)).toBeUndefined();
    await chmod(path, 0o400);
    expect(await whyNotWritable(path)).toMatch(/read-only/);
  });

  it('names a missing file', async () => {
    expect(await whyNotWritable(join(base, 'missing.json'))).toMatch(/ENOENT/);
  });
});
