import { sleep } from '../../lib/index.ts';
import type { SimAccount } from './accounts.ts';
import type { SimFault } from '../faults.ts';
import { ERROR_MESSAGES, newRequestId, sendAnthropicError, type SimExchange } from '../http.ts';
import type { SimulatorState } from '../state.ts';
import { retryAfterSeconds, unifiedHeaders } from './windows.ts';

/** Headers every authenticated `/v1/messages` answer carries. */
export function accountHeaders(account: Readonly<SimAccount>): Record<string, string> {
  return { 'request-id': newRequestId(), 'anthropic-organization-id': account.organizationUuid };
}

/**
 * Plays a scripted fault on `/v1/messages`. Returns true when the fault was the whole answer;
 * `slow` only delays, and `stall`/`cut` are applied later by the response writer.
 */
export async function answerMessagesFault(
  exchange: SimExchange,
  fault: SimFault,
  account: SimAccount,
  state: SimulatorState,
): Promise<boolean> {
  const { res } = exchange;
  switch (fault.type) {
    case 'rate_limit': {
      const window = fault.window ?? 'five_hour';
      const retryAfter = fault.retryAfterSeconds ?? retryAfterSeconds(account, state.clock.now(), window);
      account.counters.rateLimited += 1;
      sendAnthropicError(res, 429, 'rate_limit_error', ERROR_MESSAGES.rateLimit, {
        ...unifiedHeaders(account, window),
        ...accountHeaders(account),
        'retry-after': String(retryAfter),
      });
      return true;
    }
    case 'rate_limit_bare': {
      account.counters.rateLimited += 1;
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      sendAnthropicError(res, 429, 'rate_limit_error', ERROR_MESSAGES.rateLimit, headers);
      return true;
    }
    case 'unauthorized':
      sendAnthropicError(res, 401, 'authentication_error', ERROR_MESSAGES[fault.reason ?? 'expired']);
      return true;
    case 'revoked':
      sendAnthropicError(res, 403, 'permission_error', ERROR_MESSAGES.revoked);
      return true;
    default:
      return answerEndpointFault(exchange, fault);
  }
}

/** Faults shared by every endpoint: its own 429, a 5xx, 529 or a delay. */
export async function answerEndpointFault(exchange: SimExchange, fault: SimFault): Promise<boolean> {
  const { res, signal } = exchange;
  switch (fault.type) {
    case 'rate_limit':
      // The usage and token endpoints throttle callers on their own.
      sendAnthropicError(res, 429, 'rate_limit_error', 'Rate limited. Please try again later.', {
        'retry-after': String(fault.retryAfterSeconds ?? 60),
      });
      return true;
    case 'overloaded':
      sendAnthropicError(res, 529, 'overloaded_error', ERROR_MESSAGES.overloaded);
      return true;
    case 'server_error':
      sendAnthropicError(res, fault.status ?? 500, 'api_error', ERROR_MESSAGES.internal);
      return true;
    case 'slow':
      await sleep(fault.delayMs, signal);
      return signal.aborted;
    default:
      return false;
  }
}
