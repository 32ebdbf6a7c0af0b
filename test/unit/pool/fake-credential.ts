/** A Credential whose usability and usage a test sets directly; nothing is sent anywhere. */
import type { Credential, UpstreamTarget } from '../../../src/pool/index.ts';
import type { CredentialSnapshot, WindowUsage } from '../../../src/status/index.ts';

export class FakeCredential implements Credential {
  readonly tag: string;
  readonly type: 'default' | 'external';
  readonly provider = 'claude' as const;
  isUsableNow = true;
  planWeight: number;
  weekly: WindowUsage = { utilization: 0, resetAt: 0 };
  capWeekly = 99;

  constructor(tag: string, options: { planWeight?: number; type?: 'default' | 'external'; weeklyUtilization?: number } = {}) {
    this.tag = tag;
    this.type = options.type ?? 'default';
    this.planWeight = options.planWeight ?? 1;
    this.weekly = { utilization: options.weeklyUtilization ?? 0, resetAt: 0 };
  }

  isUsable(): boolean {
    return this.isUsableNow;
  }

  snapshot(): CredentialSnapshot {
    return {
      tag: this.tag,
      type: this.type,
      state: this.isUsableNow ? 'usable' : 'rate_limited',
      retryAt: 0,
      hasData: true,
      fiveHour: { utilization: 0, resetAt: 0 },
      weekly: this.weekly,
      planWeight: this.planWeight,
      cap5h: 99,
      capWeekly: this.capWeekly,
      peer: null,
    };
  }

  async target(): Promise<UpstreamTarget> {
    return { baseUrl: 'http://127.0.0.1:9', headers: {} };
  }

  observe(): void {}

  onChange(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}
