/**
 * Tokens never reach a log line (SECURITY.md › Tokens): the harnesses scan everything they captured
 * for every token they know of when they close, so each test that uses them also checks this.
 */
import type { Simulator } from '../../src/sim/index.ts';

/** Fails with the offending lines, the secret itself masked, so the report leaks nothing either. */
export function assertNoSecrets(logs: string[], secrets: Iterable<string>): void {
  const known = [...new Set(secrets)].filter((secret) => secret.length >= 8);
  const leaks: string[] = [];
  for (const line of logs) {
    const found = known.filter((secret) => line.includes(secret));
    if (found.length === 0) continue;
    let masked = line.trimEnd();
    for (const secret of found) masked = masked.split(secret).join(`[SECRET ${secret.slice(0, 6)}…]`);
    leaks.push(masked);
  }
  if (leaks.length > 0) throw new Error(`${leaks.length} log line(s) contain a token:\n${leaks.slice(0, 10).join('\n')}`);
}

/** Every access, refresh and id token the simulator's accounts hold right now, Claude and Codex. */
export function simulatorTokens(sim: Simulator): string[] {
  return [
    ...sim.accounts.flatMap((account) => [account.accessToken, account.refreshToken]),
    ...sim.codexAccounts.flatMap((account) => [account.accessToken, account.refreshToken, account.idToken]),
  ];
}
