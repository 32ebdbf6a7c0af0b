import { describe, expect, it } from 'vitest';
import { assertNoSecrets } from '../../helpers/secrets.ts';

const SECRET = 'sk-ant-oat01-not-a-real-token-0123456789';

describe('assertNoSecrets', () => {
  it('passes logs that hold no secret', () => {
    expect(() => assertNoSecrets(['{"msg":"node listening"}\n'], [SECRET])).not.toThrow();
  });

  it('fails on a line holding a secret, and masks it in the message', () => {
    const lines = ['{"msg":"ok"}\n', `{"msg":"refresh","token":"${SECRET}"}\n`];
    expect(() => assertNoSecrets(lines, [SECRET])).toThrow(/1 log line\(s\) contain a token/);
    expect(() => assertNoSecrets(lines, [SECRET])).not.toThrow(new RegExp(SECRET));
  });

  it('ignores empty and very short values (setup tokens have no refresh token)', () => {
    expect(() => assertNoSecrets(['{"msg":"a"}\n'], ['', 'a'])).not.toThrow();
  });
});
