export { startSimulator, type Simulator, type SimulatorOptions } from './server.ts';
export {
  claudeCredentialFile,
  type ClaudeCredentialFile,
  type SimAccount,
  type SimAccountCounters,
  type SimAccountSpec,
} from './accounts.ts';
export type { SimEndpoint, SimFault, SimScriptEntry, PendingFault } from './faults.ts';
export type { SimReceivedRequest, SimStateSnapshot, SimUsageUpdate } from './state.ts';
export { CLAUDE_CODE_CLIENT_ID, PLAN_FACTS, type SimPlan } from './plans.ts';
export { runSimCommand, type SimCommandOptions } from './command.ts';
export {
  codexAuthFile,
  type CodexAccountSpec,
  type CodexAuthFile,
  type CodexCredits,
  type SimCodexAccount,
  type SimCodexAccountCounters,
} from './codex-accounts.ts';
export { CODEX_CLIENT_ID, CODEX_PLANS, FIVE_HOUR_WINDOW_MINUTES, WEEKLY_WINDOW_MINUTES, type CodexPlan } from './codex-plans.ts';
export { decodeJwtPayload } from './jwt.ts';
