import { describe, expect, it } from 'vitest';
import { MAX_PENDING_LOGINS, PENDING_LOGIN_TTL_MS, PendingLogins } from '../../../src/node/pending-logins.ts';

const START = { authorizeUrl: 'https://x/authorize', state: 's', codeVerifier: 'v', redirectUri: 'https://x/cb' };

describe('PendingLogins', () => {
  it('hands a login back once, and only for its provider', () => {
    const logins = new PendingLogins();
    const { id } = logins.add('claude', START, 0);
    expect(logins.take(id, 'codex', 1)).toBeUndefined();
    expect(logins.take(id, 'claude', 1)?.start).toEqual(START);
    expect(logins.take(id, 'claude', 2)).toBeUndefined();
  });

  it('forgets a login after 15 minutes', () => {
    const logins = new PendingLogins();
    const { id, expiresAtMs } = logins.add('claude', START, 1000);
    expect(expiresAtMs).toBe(1000 + PENDING_LOGIN_TTL_MS);
    expect(logins.take(id, 'claude', expiresAtMs)).toBeUndefined();
  });

  it(`keeps at most ${MAX_PENDING_LOGINS}, dropping the oldest`, () => {
    const logins = new PendingLogins();
    const ids = Array.from({ length: MAX_PENDING_LOGINS + 5 }, (_, index) => logins.add('claude', START, index).id);
    expect(logins.size).toBe(MAX_PENDING_LOGINS);
    expect(logins.take(ids[0] ?? '', 'claude', 100)).toBeUndefined();
    expect(logins.take(ids.at(-1) ?? '', 'claude', 100)).toBeDefined();
  });
});
