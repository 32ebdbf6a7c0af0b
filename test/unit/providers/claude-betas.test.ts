import { describe, expect, it } from 'vitest';
import { withOauthBeta } from '../../../src/providers/claude/index.ts';

describe('withOauthBeta (the anthropic-beta of an OAuth request)', () => {
  it.each([
    { name: 'nothing sent', sent: undefined, expected: 'claude-code-20250219,oauth-2025-04-20,extended-cache-ttl-2025-04-11' },
    {
      name: "Claude Code's own order kept",
      sent: 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14',
      expected: 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,extended-cache-ttl-2025-04-11',
    },
    {
      name: 'oauth first from a client is reordered',
      sent: 'oauth-2025-04-20,claude-code-20250219',
      expected: 'claude-code-20250219,oauth-2025-04-20,extended-cache-ttl-2025-04-11',
    },
    {
      name: 'duplicates and blanks dropped',
      sent: ' context-1m-2025-08-07 ,,context-1m-2025-08-07',
      expected: 'claude-code-20250219,oauth-2025-04-20,context-1m-2025-08-07,extended-cache-ttl-2025-04-11',
    },
    {
      name: "the client's cache-ttl position kept",
      sent: 'extended-cache-ttl-2025-04-11,fine-grained-tool-streaming-2025-05-14',
      expected: 'claude-code-20250219,oauth-2025-04-20,extended-cache-ttl-2025-04-11,fine-grained-tool-streaming-2025-05-14',
    },
    {
      name: 'several header lines',
      sent: ['a-1', 'b-2,a-1'],
      expected: 'claude-code-20250219,oauth-2025-04-20,a-1,b-2,extended-cache-ttl-2025-04-11',
    },
  ])('$name', ({ sent, expected }) => {
    expect(withOauthBeta(sent)).toBe(expected);
  });
});
