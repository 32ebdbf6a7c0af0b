import { randomBytes } from 'node:crypto';

/** 32 random bytes, base64url (README.md › Commands). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
