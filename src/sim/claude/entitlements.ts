/**
 * Refusals about what the request asks for or who the account is, not about its usage windows:
 * Anthropic answers them with the account's windows still `allowed` (and every account of the
 * same kind answers alike), so a proxy that reads them as exhaustion benches a healthy pool.
 * Wording as the real API sends it (router-for-me/CLIProxyAPI
 * internal/runtime/executor/claude_executor.go classifyClaudeUpstreamError for fast mode; public
 * reports of the long-context, Claude-Code-only and disabled-organization messages).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorKind } from '../../lib/index.ts';
import type { SimAccount } from './accounts.ts';
import type { MessagesRequest } from './reply.ts';

export const ENTITLEMENT_MESSAGES = Object.freeze({
  longContext: 'Extra usage is required for long context requests',
  fastMode: 'Usage credits are required for fast mode',
  claudeCodeOnly: 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.',
  disabled: 'This organization has been disabled.',
});

/** The 1M-context beta; without extra usage the account may not use it. */
export const LONG_CONTEXT_BETA = 'context-1m-2025-08-07';
/** What makes a request look like Claude Code: its beta flag and its identity line first in `system`. */
export const CLAUDE_CODE_BETA = 'claude-code-20250219';
export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude";

export interface Refusal {
  status: number;
  kind: ErrorKind;
  message: string;
}

/** Before the body is read: the organization itself is refused. */
export function accountRefusal(account: Readonly<SimAccount>): Refusal | undefined {
  return account.settings.isDisabled ? { status: 403, kind: 'permission_error', message: ENTITLEMENT_MESSAGES.disabled } : undefined;
}

/** After validation: the request's shape or features need what this account lacks. */
export function requestRefusal(account: Readonly<SimAccount>, headers: IncomingHttpHeaders, request: MessagesRequest): Refusal | undefined {
  const betas = betaFlags(headers);
  if (account.settings.requiresClaudeCode && !(betas.has(CLAUDE_CODE_BETA) && request.firstSystemText.startsWith(CLAUDE_CODE_IDENTITY))) {
    return { status: 403, kind: 'permission_error', message: ENTITLEMENT_MESSAGES.claudeCodeOnly };
  }
  if (account.settings.hasExtraUsage) return undefined;
  if (betas.has(LONG_CONTEXT_BETA)) return { status: 429, kind: 'rate_limit_error', message: ENTITLEMENT_MESSAGES.longContext };
  if (request.isFastMode) return { status: 429, kind: 'rate_limit_error', message: ENTITLEMENT_MESSAGES.fastMode };
  return undefined;
}

function betaFlags(headers: IncomingHttpHeaders): Set<string> {
  const header = headers['anthropic-beta'];
  const values = Array.isArray(header) ? header : [header ?? ''];
  return new Set(values.flatMap((value) => value.split(',').map((flag) => flag.trim())).filter((flag) => flag !== ''));
}
