/**
 * Codex device-code logins in progress (device-auth.ts serves them): each a code the person
 * enters at `/codex/device`, valid 15 minutes, answered once after approval. Bounded, since
 * `quotamesh sim` may run for days.
 */
import { randomBytes } from 'node:crypto';

export const DEVICE_CODE_LIFETIME_MS = 15 * 60 * 1000;
const MAX_DEVICE_AUTHS = 1000;
const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export interface DeviceAuth {
  deviceAuthId: string;
  userCode: string;
  expiresAtMs: number;
  /** Set when the person entered the code and approved. */
  accountId: string | undefined;
}

export class CodexDeviceAuths {
  readonly intervalSeconds: number;
  readonly #auths = new Map<string, DeviceAuth>();

  constructor(intervalSeconds: number) {
    this.intervalSeconds = intervalSeconds;
  }

  start(nowMs: number): DeviceAuth {
    if (this.#auths.size >= MAX_DEVICE_AUTHS) {
      const oldest = this.#auths.keys().next();
      if (oldest.done !== true) this.#auths.delete(oldest.value);
    }
    const letters = [...randomBytes(9)].map((byte) => USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length]).join('');
    const auth: DeviceAuth = {
      deviceAuthId: `deviceauth_${randomBytes(16).toString('hex')}`,
      userCode: `${letters.slice(0, 4)}-${letters.slice(4)}`,
      expiresAtMs: nowMs + DEVICE_CODE_LIFETIME_MS,
      accountId: undefined,
    };
    this.#auths.set(auth.deviceAuthId, auth);
    return auth;
  }

  approve(userCode: string, accountId: string, nowMs: number): boolean {
    const auth = [...this.#auths.values()].find((candidate) => candidate.userCode === userCode.trim().toUpperCase());
    if (auth === undefined || nowMs >= auth.expiresAtMs) return false;
    auth.accountId = accountId;
    return true;
  }

  /** Approved auths are answered once and then forgotten. */
  poll(
    deviceAuthId: string,
    userCode: string,
    nowMs: number,
  ): { kind: 'pending' | 'unknown' | 'expired' } | { kind: 'approved'; accountId: string } {
    const auth = this.#auths.get(deviceAuthId);
    if (auth === undefined || auth.userCode !== userCode) return { kind: 'unknown' };
    if (nowMs >= auth.expiresAtMs) {
      this.#auths.delete(deviceAuthId);
      return { kind: 'expired' };
    }
    if (auth.accountId === undefined) return { kind: 'pending' };
    this.#auths.delete(deviceAuthId);
    return { kind: 'approved', accountId: auth.accountId };
  }
}
