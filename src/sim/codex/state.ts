import type { Clock } from '../../lib/index.ts';
import { applyUsageUpdate, clampPercent, type SimUsageUpdate } from '../account-table.ts';
import {
  createCodexAccount,
  newCodexAccessToken,
  newCodexIdToken,
  newCodexRefreshToken,
  type CodexAccountSpec,
  type SimCodexAccount,
  type SimCodexAccountSettings,
} from './accounts.ts';
import { rollCodexWindows } from './windows.ts';

/** The ChatGPT/Codex half of one simulator's state: its accounts and their tokens. */
export class CodexState {
  readonly accounts: SimCodexAccount[];
  readonly clock: Clock;
  readonly tokenLifetimeMs: number;
  /** WebSocket sessions currently open (a stalled one stays open). */
  openWebSockets = 0;
  /** The backend's store/stream/instructions checks (backend-checks.ts); off by default. */
  isStrict = false;
  /** Consumed refresh token → account id, so a reuse is told apart from an unknown token. */
  readonly #retiredRefreshTokens = new Map<string, string>();

  constructor(options: { specs: CodexAccountSpec[]; clock: Clock; tokenLifetimeMs: number }) {
    this.clock = options.clock;
    this.tokenLifetimeMs = options.tokenLifetimeMs;
    const nowMs = options.clock.now();
    this.accounts = options.specs.map((spec, index) => createCodexAccount(spec, index, nowMs, options.tokenLifetimeMs));
  }

  account(id: string): SimCodexAccount {
    const account = this.accounts.find((candidate) => candidate.id === id);
    if (account === undefined) throw new Error(`unknown simulator Codex account: ${id}`);
    rollCodexWindows(account, this.clock.now());
    return account;
  }

  byAccessToken(token: string): SimCodexAccount | undefined {
    const account = this.accounts.find((candidate) => candidate.accessToken === token);
    if (account !== undefined) rollCodexWindows(account, this.clock.now());
    return account;
  }

  /** The account a current or retired refresh token belongs to, and whether it was retired. */
  ownerOfRefreshToken(token: string): { account: SimCodexAccount; isRetired: boolean } | undefined {
    if (token === '') return undefined;
    const retiredOwner = this.#retiredRefreshTokens.get(token);
    if (retiredOwner !== undefined) {
      const account = this.accounts.find((candidate) => candidate.id === retiredOwner);
      return account === undefined ? undefined : { account, isRetired: true };
    }
    const account = this.accounts.find((candidate) => candidate.refreshToken === token);
    return account === undefined ? undefined : { account, isRetired: false };
  }

  /**
   * Single use: every old token dies at once. With
   * `keepRefreshToken` the answer omits refresh_token and the old one keeps working.
   */
  rotate(account: SimCodexAccount, options: { keepRefreshToken?: boolean } = {}): void {
    const nowMs = this.clock.now();
    account.expiresAt = nowMs + this.tokenLifetimeMs;
    account.accessToken = newCodexAccessToken(account, nowMs, account.expiresAt);
    account.idToken = newCodexIdToken(account, nowMs);
    if (options.keepRefreshToken !== true) {
      this.#retiredRefreshTokens.set(account.refreshToken, account.id);
      account.refreshToken = newCodexRefreshToken();
    }
    account.lastRefreshAtMs = nowMs;
    account.counters.refreshes += 1;
  }

  /** A completed login: fresh tokens, the old refresh token retired, a revoked account usable again. */
  logIn(account: SimCodexAccount): void {
    const nowMs = this.clock.now();
    this.#retiredRefreshTokens.set(account.refreshToken, account.id);
    account.expiresAt = nowMs + this.tokenLifetimeMs;
    account.accessToken = newCodexAccessToken(account, nowMs, account.expiresAt);
    account.idToken = newCodexIdToken(account, nowMs);
    account.refreshToken = newCodexRefreshToken();
    account.lastRefreshAtMs = nowMs;
    account.isRevoked = false;
    account.counters.logins += 1;
  }

  setUsage(id: string, update: SimUsageUpdate): void {
    const account = this.account(id);
    applyUsageUpdate(account, update);
    if (update.extraLimitUsedPercent !== undefined && account.extraLimit !== undefined)
      account.extraLimit.usedPercent = clampPercent(update.extraLimitUsedPercent);
  }

  /** The server stops accepting the token; its JWT `exp` stays as issued, as with a server-side expiry. */
  setSettings(id: string, update: Partial<SimCodexAccountSettings>): void {
    Object.assign(this.account(id).settings, update);
  }

  expireToken(id: string): void {
    this.account(id).expiresAt = this.clock.now() - 1;
  }

  /** Access and refresh token both stop working, as after a logout elsewhere. */
  revokeToken(id: string): void {
    this.account(id).isRevoked = true;
  }

  snapshot(): SimCodexAccount[] {
    const nowMs = this.clock.now();
    return this.accounts.map((account) => {
      rollCodexWindows(account, nowMs);
      return {
        ...account,
        credits: { ...account.credits },
        settings: { ...account.settings },
        extraLimit: account.extraLimit && { ...account.extraLimit },
        counters: { ...account.counters },
      };
    });
  }
}
