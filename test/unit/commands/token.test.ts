import { describe, expect, it } from 'vitest';
import { newToken } from '../../../src/commands/token.ts';

describe('newToken', () => {
  it('is 43 base64url characters and never starts with a dash (it is pasted after CLI flags)', () => {
    // A leading dash comes up once in 64 tokens; 2 000 draws miss it with probability ~1e-14.
    const tokens = Array.from({ length: 2000 }, () => newToken());
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});
