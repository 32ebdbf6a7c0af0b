import { describe, expect, it } from 'vitest';
import { DisabledCredentials, MAX_DISABLED_MARKS, MAX_DISABLED_REASON_LENGTH } from '../../../src/pool/index.ts';

describe('DisabledCredentials', () => {
  it('keeps the first mark, forgets it on enable, and says whether anything changed', () => {
    const marks = new DisabledCredentials();
    let changes = 0;
    marks.onChange(() => (changes += 1));
    expect(marks.disable('claude', 'a', { by: 'admin', atMs: 1000, reason: 'why' })).toBe(true);
    expect(marks.disable('claude', 'a', { by: 'admin', atMs: 2000 })).toBe(false);
    expect(marks.get('claude', 'a')).toEqual({ by: 'admin', atMs: 1000, reason: 'why' });
    expect(marks.get('codex', 'a')).toBeUndefined();
    expect(marks.enable('claude', 'a')).toBe(true);
    expect(marks.enable('claude', 'a')).toBe(false);
    expect(changes).toBe(2);
  });

  it('round-trips through its state.json section', () => {
    const marks = new DisabledCredentials();
    marks.disable('claude', 'a', { by: 'admin', atMs: 1000, reason: 'why' });
    marks.disable('codex', 'b', { by: 'admin', atMs: 2000 });
    const restored = new DisabledCredentials();
    restored.restore(JSON.parse(JSON.stringify(marks.persist())));
    expect(restored.persist()).toEqual(marks.persist());
  });

  it.each([
    ['not an object', 'garbage'],
    ['an array', [{ by: 'admin', at_ms: 1 }]],
    ['a key without a provider', { a: { by: 'admin', at_ms: 1 } }],
    ['no by', { 'claude/a': { at_ms: 1 } }],
    ['an empty by', { 'claude/a': { by: '', at_ms: 1 } }],
    ['a negative time', { 'claude/a': { by: 'admin', at_ms: -1 } }],
    ['an infinite time', { 'claude/a': { by: 'admin', at_ms: 1e400 } }],
    ['a key longer than 256', { [`claude/${'x'.repeat(300)}`]: { by: 'admin', at_ms: 1 } }],
  ])('drops %s from a saved section', (_name, section) => {
    const marks = new DisabledCredentials();
    marks.restore(section);
    expect(marks.persist()).toEqual({});
  });

  it('bounds what a hand-edited state file can make it hold', () => {
    const section = Object.fromEntries(
      Array.from({ length: MAX_DISABLED_MARKS + 10 }, (_, index) => [
        `claude/t${index}`,
        { by: 'admin', at_ms: 1, reason: 'r'.repeat(10_000) },
      ]),
    );
    const marks = new DisabledCredentials();
    marks.restore(section);
    const kept = Object.values(marks.persist());
    expect(kept).toHaveLength(MAX_DISABLED_MARKS);
    expect(kept.every((mark) => (mark.reason ?? '').length === MAX_DISABLED_REASON_LENGTH)).toBe(true);
    expect(() => marks.disable('claude', 'one-more', { by: 'admin', atMs: 1 })).toThrow(RangeError);
  });
});
