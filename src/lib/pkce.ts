/**
 * PKCE (RFC 7636) as both vendors' CLIs make it: 64 random bytes as base64url for the verifier
 * (openai/codex codex-rs/login/src/pkce.rs), challenge = base64url(SHA-256(verifier)), method S256
 * only; the state is 32 random bytes, base64url (codex-rs/login/src/server.rs `generate_state`).
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
}

export function newPkce(): Pkce {
  const codeVerifier = randomBytes(64).toString('base64url');
  return { codeVerifier, codeChallenge: s256Challenge(codeVerifier) };
}

export function s256Challenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

export function newOauthState(): string {
  return randomBytes(32).toString('base64url');
}
