/**
 * A Claude credential whose windows the caller sets by hand: always usable, never sends a
 * request. For the attribution test and bench, which need a pool's readings, not its traffic.
 */
import type { Credential } from '../../src/pool/index.ts';
import type { CredentialSnapshot, WindowUsage } from '../../src/status/index.ts';

export class ScriptedCredential implements Credential {
  readonly type = 'default';
  readonly provider = 'claude';
  readonly tag: string;
  readonly planWeight: number;
  fiveHour: WindowUsage;
  weekly: WindowUsage;

  constructor(tag: string, options: { planWeight?: number; utilization?: number; fiveHourReset: number; weeklyReset: number }) {
    this.tag = tag;
    this.planWeight = options.planWeight ?? 10;
    this.fiveHour = { utilization: options.utilization ?? 0, resetAt: options.fiveHourReset };
    this.weekly = { utilization: options.utilization ?? 0, resetAt: options.weeklyReset };
  }

  /** The windows at these percents used, their resets kept. */
  use(fiveHourPercent: number, weeklyPercent = fiveHourPercent): void {
    this.fiveHour = { ...this.fiveHour, utilization: fiveHourPercent };
    this.weekly = { ...this.weekly, utilization: weeklyPercent };
  }

  isUsable(): boolean {
    return true;
  }

  snapshot(): CredentialSnapshot {
    return {
      tag: this.tag,
      type: 'default',
      state: 'usable',
      retryAt: 0,
      hasData: true,
      fiveHour: this.fiveHour,
      weekly: this.weekly,
      planWeight: this.planWeight,
      cap5h: 99,
      capWeekly: 99,
      peer: null,
    };
  }

  async target(): Promise<never> {
    throw new Error('not sent');
  }

  observe(): void {}

  onChange(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}
