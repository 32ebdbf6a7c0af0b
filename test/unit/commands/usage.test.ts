import { describe, expect, it } from 'vitest';
import { ADMIN_USAGE, USAGE } from '../../../src/commands/usage.ts';
import { ADMIN_ACTIONS } from '../../../src/node/index.ts';

describe('usage text', () => {
  it('names exactly the admin actions the node knows (spelled out so --help loads no node code)', () => {
    expect(/^admin {2}<([^>]+)>/.exec(ADMIN_USAGE)?.[1]?.split('|')).toEqual([...ADMIN_ACTIONS]);
  });

  it('lists every command once', () => {
    const commands = USAGE.split('\n')
      .slice(1)
      .map((line) => /^ {2}(\w+)/.exec(line)?.[1])
      .filter((name) => name !== undefined);
    expect(commands).toEqual(['serve', 'demo', 'status', 'check', 'init', 'login', 'admin', 'statusline', 'token', 'sim']);
  });
});
