export { startSimulator, type Simulator, type SimulatorOptions } from './server.ts';
export {
  claudeCredentialFile,
  type ClaudeCredentialFile,
  type SimAccount,
  type SimAccountCounters,
  type SimAccountSettings,
  type SimAccountSpec,
} from './claude/accounts.ts';
export type { SimEndpoint, SimFault, SimScriptEntry, PendingFault } from './faults.ts';
export type { SimReceivedRequest, SimStateSnapshot } from './state.ts';
export type { SimUsageUpdate } from './account-table.ts';
export { CLAUDE_CODE_CLIENT_ID, PLAN_FACTS, type SimPlan } from './claude/plans.ts';
export { runSimCommand, type SimCommandOptions } from './command.ts';
export {
  codexAuthFile,
  type CodexAccountSpec,
  type CodexAuthFile,
  type CodexCredits,
  type SimCodexAccount,
  type SimCodexAccountCounters,
  type SimCodexAccountSettings,
} from './codex/accounts.ts';
export { CODEX_CLIENT_ID, CODEX_PLANS, FIVE_HOUR_WINDOW_MINUTES, WEEKLY_WINDOW_MINUTES, type CodexPlan } from './codex/plans.ts';
export { decodeJwtPayload } from './jwt.ts';
export { CLAUDE_CODE_BETA, CLAUDE_CODE_IDENTITY, ENTITLEMENT_MESSAGES, LONG_CONTEXT_BETA } from './claude/entitlements.ts';
