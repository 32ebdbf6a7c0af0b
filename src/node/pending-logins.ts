/**
 * Logins the admin started from the dashboard and has not finished: the PKCE verifier and state
 * stay here, on the node, and never reach the browser. Bounded (a token holder clicking "add
 * account" in a loop must not grow memory) and short-lived: a login not finished within
 * 15 minutes is forgotten, as an authorization code would be long dead by then.
 */
import { randomBytes } from 'node:crypto';
import type { LoginStart } from '../providers/index.ts';

export const PENDING_LOGIN_TTL_MS = 15 * 60 * 1000;
export const MAX_PENDING_LOGINS = 16;

export interface PendingLogin {
  provider: string;
  start: LoginStart;
  expiresAtMs: number;
}

export class PendingLogins {
  readonly #logins = new Map<string, PendingLogin>();

  /** Returns the id the admin sends back with the code; the oldest login is dropped past the bound. */
  add(provider: string, start: LoginStart, nowMs: number): { id: string; expiresAtMs: number } {
    this.#sweep(nowMs);
    while (this.#logins.size >= MAX_PENDING_LOGINS) {
      const oldest = this.#logins.keys().next();
      if (oldest.done === true) break;
      this.#logins.delete(oldest.value);
    }
    const id = randomBytes(16).toString('base64url');
    const expiresAtMs = nowMs + PENDING_LOGIN_TTL_MS;
    this.#logins.set(id, { provider, start, expiresAtMs });
    return { id, expiresAtMs };
  }

  /** One use: a finished (or failed) login is gone, so a code is never redeemed twice from here. */
  take(id: string, provider: string, nowMs: number): PendingLogin | undefined {
    this.#sweep(nowMs);
    const login = this.#logins.get(id);
    if (login === undefined || login.provider !== provider) return undefined;
    this.#logins.delete(id);
    return login;
  }

  get size(): number {
    return this.#logins.size;
  }

  #sweep(nowMs: number): void {
    for (const [id, login] of this.#logins) if (nowMs >= login.expiresAtMs) this.#logins.delete(id);
  }
}
