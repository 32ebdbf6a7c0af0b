import { hasScope, type SimAccount } from './accounts.ts';
import { authenticate } from './auth.ts';
import { answerEndpointFault } from './fault-replies.ts';
import type { SimEndpoint } from '../faults.ts';
import { ERROR_MESSAGES, sendAnthropicError, sendAuthFailure, sendJson, type SimExchange } from '../http.ts';
import { PLAN_FACTS } from './plans.ts';
import type { SimulatorState } from '../state.ts';
import { WARNING_THRESHOLD_PERCENT } from './windows.ts';

/** The real endpoint prints Python-style ISO timestamps with an explicit offset. */
export function isoWithOffset(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '+00:00');
}

/** Percent with 0.01 resolution, matching the header fractions' resolution. */
function percent(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `GET /api/oauth/usage` body: utilization 0–100 (headers use 0–1). */
export function usageBody(account: Readonly<SimAccount>): Record<string, unknown> {
  const fiveHour = { utilization: percent(account.fiveHourUtilization), resets_at: isoWithOffset(account.fiveHourResetAtMs) };
  const sevenDay = { utilization: percent(account.weeklyUtilization), resets_at: isoWithOffset(account.weeklyResetAtMs) };
  const severity = (value: number): string => (value >= WARNING_THRESHOLD_PERCENT ? 'warning' : 'normal');
  return {
    five_hour: fiveHour,
    seven_day: sevenDay,
    seven_day_oauth_apps: null,
    seven_day_opus: null,
    seven_day_sonnet: null,
    seven_day_cowork: null,
    iguana_necktie: null,
    extra_usage: {
      is_enabled: false,
      monthly_limit: null,
      used_credits: null,
      utilization: null,
      currency: null,
      disabled_reason: null,
    },
    limits: [
      {
        kind: 'session',
        group: 'session',
        percent: fiveHour.utilization,
        severity: severity(fiveHour.utilization),
        resets_at: fiveHour.resets_at,
        scope: null,
        is_active: true,
      },
      {
        kind: 'weekly_all',
        group: 'weekly',
        percent: sevenDay.utilization,
        severity: severity(sevenDay.utilization),
        resets_at: sevenDay.resets_at,
        scope: null,
        is_active: true,
      },
    ],
  };
}

/** `GET /api/oauth/profile` body. */
export function profileBody(account: Readonly<SimAccount>): Record<string, unknown> {
  const facts = PLAN_FACTS[account.plan];
  return {
    account: {
      uuid: account.uuid,
      full_name: account.id,
      display_name: account.id,
      email: account.email,
      has_claude_max: facts.subscriptionType === 'max',
      has_claude_pro: facts.subscriptionType === 'pro',
      created_at: '2025-01-01T00:00:00.000000+00:00',
    },
    organization: {
      uuid: account.organizationUuid,
      name: account.organizationName,
      organization_type: facts.organizationType,
      billing_type: 'stripe_subscription',
      rate_limit_tier: facts.rateLimitTier,
      has_extra_usage_enabled: false,
    },
  };
}

/**
 * Shared by both endpoints: Bearer + oauth beta, then the `user:profile` scope that setup-tokens
 * lack (→ 403), then any scripted fault of the endpoint itself.
 */
async function serveAccountJson(
  exchange: SimExchange,
  state: SimulatorState,
  endpoint: Extract<SimEndpoint, 'usage' | 'profile'>,
  body: (account: Readonly<SimAccount>) => Record<string, unknown>,
): Promise<void> {
  const auth = authenticate(exchange.req, state);
  if ('failure' in auth) return sendAuthFailure(exchange.res, auth.failure);
  const { account } = auth;
  account.counters[endpoint] += 1;
  if (!hasScope(account, 'user:profile')) {
    return sendAnthropicError(exchange.res, 403, 'permission_error', ERROR_MESSAGES.scope);
  }
  const fault = state.faults.take(endpoint, account.id);
  if (fault !== undefined && (await answerEndpointFault(exchange, fault))) return;
  sendJson(exchange.res, 200, body(account));
}

export function handleUsage(exchange: SimExchange, state: SimulatorState): Promise<void> {
  return serveAccountJson(exchange, state, 'usage', usageBody);
}

export function handleProfile(exchange: SimExchange, state: SimulatorState): Promise<void> {
  return serveAccountJson(exchange, state, 'profile', profileBody);
}
