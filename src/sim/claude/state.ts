import type { Clock } from '../../lib/index.ts';
import { applyUsageUpdate, clampPercent, type SimUsageUpdate } from '../account-table.ts';
import {
  createAccount,
  newAccessToken,
  newRefreshToken,
  type SimAccount,
  type SimAccountSettings,
  type SimAccountSpec,
} from './accounts.ts';
import { rollWindows } from './windows.ts';

/** The Claude half of one simulator's state: its accounts and their tokens. */
export class ClaudeState {
  readonly accounts: SimAccount[];
  readonly clock: Clock;
  readonly tokenLifetimeMs: number;
  /** Consumed refresh token → account id, so a reuse is still counted against its account. */
  readonly #retiredRefreshTokens = new Map<string, string>();

  constructor(options: { specs: SimAccountSpec[]; clock: Clock; tokenLifetimeMs: number }) {
    this.clock = options.clock;
    this.tokenLifetimeMs = options.tokenLifetimeMs;
    const nowMs = options.clock.now();
    this.accounts = options.specs.map((spec, index) => createAccount(spec, index, nowMs, options.tokenLifetimeMs));
  }

  account(id: string): SimAccount {
    const account = this.accounts.find((candidate) => candidate.id === id);
    if (account === undefined) throw new Error(`unknown simulator account: ${id}`);
    rollWindows(account, this.clock.now());
    return account;
  }

  byAccessToken(token: string): SimAccount | undefined {
    const account = this.accounts.find((candidate) => candidate.accessToken === token);
    if (account !== undefined) rollWindows(account, this.clock.now());
    return account;
  }

  byRefreshToken(token: string): SimAccount | undefined {
    if (token === '') return undefined;
    return this.accounts.find((candidate) => candidate.refreshToken === token && !candidate.isRevoked);
  }

  /** The account a current or retired refresh token belongs to. */
  ownerOfRefreshToken(token: string): SimAccount | undefined {
    const retiredOwner = this.#retiredRefreshTokens.get(token);
    if (retiredOwner !== undefined) return this.accounts.find((candidate) => candidate.id === retiredOwner);
    return this.accounts.find((candidate) => token !== '' && candidate.refreshToken === token);
  }

  /**
   * Rotation: both old tokens die at once. With `keepRefreshToken`
   * the response omits refresh_token and the old one must keep working.
   */
  rotate(account: SimAccount, options: { keepRefreshToken?: boolean } = {}): void {
    account.accessToken = newAccessToken();
    if (options.keepRefreshToken !== true) {
      this.#retiredRefreshTokens.set(account.refreshToken, account.id);
      account.refreshToken = newRefreshToken();
    }
    account.expiresAt = this.clock.now() + this.tokenLifetimeMs;
    account.counters.refreshes += 1;
  }

  /**
   * A completed login (authorization code redeemed): a fresh token pair, the old refresh token
   * retired, and a revoked account usable again — what re-authenticating a dead credential does.
   */
  logIn(account: SimAccount): void {
    this.#retiredRefreshTokens.set(account.refreshToken, account.id);
    account.accessToken = newAccessToken();
    account.refreshToken = newRefreshToken();
    account.expiresAt = this.clock.now() + this.tokenLifetimeMs;
    account.isRevoked = false;
    account.counters.logins += 1;
  }

  setUsage(id: string, update: SimUsageUpdate): void {
    const account = this.account(id);
    applyUsageUpdate(account, update);
    if (update.opusWeeklyUtilization !== undefined) account.opusWeeklyUtilization = clampPercent(update.opusWeeklyUtilization);
    if (update.sonnetWeeklyUtilization !== undefined) account.sonnetWeeklyUtilization = clampPercent(update.sonnetWeeklyUtilization);
  }

  setSettings(id: string, update: Partial<SimAccountSettings>): void {
    Object.assign(this.account(id).settings, update);
  }

  expireToken(id: string): void {
    this.account(id).expiresAt = this.clock.now() - 1;
  }

  /** Access and refresh token both stop working, as after a logout elsewhere. */
  revokeToken(id: string): void {
    this.account(id).isRevoked = true;
  }

  snapshot(): SimAccount[] {
    const nowMs = this.clock.now();
    return this.accounts.map((account) => {
      rollWindows(account, nowMs);
      return { ...account, settings: { ...account.settings }, counters: { ...account.counters } };
    });
  }
}
