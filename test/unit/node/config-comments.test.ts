import { describe, expect, it } from 'vitest';
import { blankJsonComments } from '../../../src/node/config-comments.ts';
import { parseConfigText } from '../../../src/node/config-load.ts';
import { ConfigError } from '../../../src/lib/index.ts';

const environment = { env: {}, homeDir: '/home/me', baseDir: '/etc/qm' };

describe('blankJsonComments', () => {
  it.each([
    ['a line comment', '{"a": 1} // note', { a: 1 }],
    ['a line comment before a key', '{\n  // why\n  "a": 1\n}', { a: 1 }],
    ['a block comment across lines', '{ /* one\n two */ "a": 1 }', { a: 1 }],
    ['a block comment between tokens', '{"a": /* x */ 1}', { a: 1 }],
    ['// inside a string', '{"url": "http://hub:8787//x"}', { url: 'http://hub:8787//x' }],
    ['/* inside a string', '{"a": "/* not */"}', { a: '/* not */' }],
    ['an escaped quote before //', '{"a": "say \\"hi\\" // still string"} // gone', { a: 'say "hi" // still string' }],
    ['an escaped backslash ending a string', '{"a": "c:\\\\"} // gone', { a: 'c:\\' }],
    ['a comment at the very end without a newline', '{"a": 1}\n//', { a: 1 }],
  ])('%s', (_name, text, expected) => {
    expect(JSON.parse(blankJsonComments(text))).toEqual(expected);
  });

  it('keeps every character position, so parse errors point into the file', () => {
    const text = '{\n  // c\n  /* d\n e */ "a": 1\n}';
    const blanked = blankJsonComments(text);
    expect(blanked).toHaveLength(text.length);
    expect(blanked.split('\n')).toHaveLength(text.split('\n').length);
    expect(blanked.indexOf('"a"')).toBe(text.indexOf('"a"'));
  });

  it.each([
    ['an unterminated block comment', '{"a": 1} /* open'],
    ['a lone slash', '{"a": 1 / 2}'],
    ['a trailing comma', '{"a": 1,}'],
    ['an unterminated string', '{"a": "x\n}'],
  ])('leaves %s for JSON.parse to refuse', (_name, text) => {
    expect(() => JSON.parse(blankJsonComments(text))).toThrow(SyntaxError);
  });
});

describe('a config with comments', () => {
  it('parses like the same config without them', () => {
    const config = parseConfigText(
      '// a node\n{\n  "name": "hub", // its name\n  /* the people */\n  "users": [{ "name": "me", "token": "tttttttttttttttttttt" }]\n}\n',
      environment,
    );
    expect(config.name).toBe('hub');
    expect(config.users[0]?.name).toBe('me');
  });

  it('still names a JSON syntax error as one', () => {
    expect(() => parseConfigText('{ "name": "hub", } // x', environment)).toThrow(ConfigError);
  });
});
