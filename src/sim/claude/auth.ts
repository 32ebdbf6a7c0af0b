import type { IncomingMessage } from 'node:http';
import type { SimAccount } from './accounts.ts';
import { bearerToken, hasOAuthBeta, type AuthFailure } from '../http.ts';
import type { SimulatorState } from '../state.ts';

export type AuthResult = { account: SimAccount } | { failure: AuthFailure };

/**
 * The checks api.anthropic.com makes for a subscription token, in its order: a Bearer token
 * needs the oauth beta flag before it is even looked up; unknown, revoked and expired tokens
 * each get their own 401 message, worded as the real API words it.
 */
export function authenticate(req: IncomingMessage, state: SimulatorState): AuthResult {
  const token = bearerToken(req);
  if (token === undefined) {
    return { failure: req.headers['x-api-key'] === undefined ? 'missingAuth' : 'invalidApiKey' };
  }
  if (!hasOAuthBeta(req)) return { failure: 'oauthBetaMissing' };
  const account = state.claude.byAccessToken(token);
  if (account === undefined) return { failure: 'invalid' };
  if (account.isRevoked) return { failure: 'revoked' };
  if (state.clock.now() >= account.expiresAt) return { failure: 'expired' };
  return { account };
}
