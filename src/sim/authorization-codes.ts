/**
 * Authorization codes the simulated `/oauth/authorize` issues and the token endpoints redeem
 * (RFC 6749 § 4.1 with PKCE, RFC 7636). Single use, short-lived, bound to the client, the
 * redirect URI and the S256 challenge: a code is consumed by its first redemption even when the
 * verifier is wrong (RFC 6749 § 4.1.2 advises revoking on reuse), so a test that sends a wrong
 * verifier cannot retry its way in.
 */
import { randomBytes } from 'node:crypto';
import { s256Challenge } from '../lib/index.ts';

export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  /** The `state` of the authorize request (Claude sends it again with the code). */
  state: string;
  /** The simulated account that "logged in". */
  accountId: string;
  scope: string;
}

export type Redemption = { kind: 'ok'; grant: CodeGrant } | { kind: 'refused'; description: string };

/** A real code lives ten minutes at most (RFC 6749 § 4.1.2). */
export const CODE_LIFETIME_MS = 10 * 60 * 1000;
/** `quotamesh sim` may run for days: codes never redeemed must not pile up. */
const MAX_CODES = 1000;

export class AuthorizationCodes {
  readonly #codes = new Map<string, CodeGrant & { expiresAtMs: number }>();

  issue(grant: CodeGrant, nowMs: number): string {
    const code = randomBytes(32).toString('base64url');
    if (this.#codes.size >= MAX_CODES) {
      const oldest = this.#codes.keys().next();
      if (oldest.done !== true) this.#codes.delete(oldest.value);
    }
    this.#codes.set(code, { ...grant, expiresAtMs: nowMs + CODE_LIFETIME_MS });
    return code;
  }

  redeem(code: string, request: { clientId: string; redirectUri: unknown; codeVerifier: unknown }, nowMs: number): Redemption {
    const grant = this.#codes.get(code);
    this.#codes.delete(code);
    if (grant === undefined) return { kind: 'refused', description: 'Invalid authorization code' };
    if (nowMs >= grant.expiresAtMs) return { kind: 'refused', description: 'Authorization code expired' };
    if (grant.clientId !== request.clientId) return { kind: 'refused', description: 'Authorization code was issued to another client' };
    if (grant.redirectUri !== request.redirectUri)
      return { kind: 'refused', description: 'redirect_uri does not match the authorization request' };
    if (typeof request.codeVerifier !== 'string' || request.codeVerifier === '') {
      return { kind: 'refused', description: 'Missing code_verifier' };
    }
    if (s256Challenge(request.codeVerifier) !== grant.codeChallenge) {
      return { kind: 'refused', description: 'Invalid code_verifier' };
    }
    return { kind: 'ok', grant };
  }
}
