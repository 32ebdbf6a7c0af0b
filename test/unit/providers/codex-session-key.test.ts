import { describe, expect, it } from 'vitest';
import { codexProvider } from '../../../src/providers/index.ts';

describe('the sticky key of a Codex request', () => {
  it.each([
    { name: 'current Codex: session-id and thread-id', headers: { 'session-id': 's-1', 'thread-id': 't-1' }, expected: 's-1' },
    { name: 'older Codex: session_id', headers: { session_id: 's-2' }, expected: 's-2' },
    { name: 'only a thread, dashed', headers: { 'thread-id': 't-3' }, expected: 't-3' },
    { name: 'only a thread, underscored', headers: { thread_id: 't-4' }, expected: 't-4' },
    { name: 'empty values skipped', headers: { 'session-id': '', thread_id: 't-5' }, expected: 't-5' },
    { name: 'none', headers: {}, expected: undefined },
  ])('$name', ({ headers, expected }) => {
    expect(codexProvider.routes.requestInfo(undefined, headers).sessionId).toBe(expected);
  });
});
