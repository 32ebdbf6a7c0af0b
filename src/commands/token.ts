import { randomBytes } from 'node:crypto';

/** SPEC §1: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
