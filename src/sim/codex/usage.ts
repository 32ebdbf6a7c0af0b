import { codexUsageBody } from './headers.ts';
import { answerCodexEndpointFault, authenticateCodex, sendCodexAuthFailure } from './http.ts';
import { codexWindows } from './windows.ts';
import { sendJson, type SimExchange } from '../http.ts';
import type { SimulatorState } from '../state.ts';

/**
 * `GET /backend-api/wham/usage`: same Bearer + ChatGPT-Account-Id checks
 * as the responses endpoint, then any scripted fault of the endpoint itself — whose 429 is its
 * own throttling, not the account's limit.
 */
export async function handleCodexUsage(exchange: SimExchange, state: SimulatorState): Promise<void> {
  const auth = authenticateCodex(exchange.req, state.codex);
  if ('failure' in auth) return sendCodexAuthFailure(exchange.res, auth.failure);
  const { account } = auth;
  account.counters.usage += 1;
  const fault = state.faults.take('codex_usage', account.id);
  if (fault !== undefined && (await answerCodexEndpointFault(exchange, fault))) return;
  sendJson(exchange.res, 200, codexUsageBody(account, codexWindows(account), state.clock.now()));
}
