import { randomBytes } from 'node:crypto';

/**
 * 32 random bytes, base64url (README.md › Commands), never starting with `-`: a token is pasted
 * after flags such as `quotamesh init --link-token`, where a leading dash reads as another option
 * (one token in 64 did, and `init` refused its own hub's token).
 */
export function newToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}
