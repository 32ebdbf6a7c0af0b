import { errorMessage } from '../lib/index.ts';
import { parseScriptEntry } from './faults.ts';
import { sendJson, type SimExchange } from './http.ts';
import type { SimulatorState } from './state.ts';
import type { SimUsageUpdate } from './account-table.ts';

/**
 * The `/_sim/` control API, so a test or a person in another process can script the simulator
 * with curl. Every route mirrors an in-process method of `Simulator`.
 *
 *   GET    /_sim/state                 accounts, counters, pending faults
 *   GET    /_sim/requests              the request log;  DELETE clears it
 *   POST   /_sim/script                one SimScriptEntry, an array of them, or {entries: [...]}
 *   DELETE /_sim/script                drop every pending fault
 *   POST   /_sim/accounts/:id/usage    SimUsageUpdate (percent 0–100, epoch-ms resets)
 *   POST   /_sim/accounts/:id/expire   access token expires now
 *   POST   /_sim/accounts/:id/revoke   access and refresh token stop working
 *   POST   /_sim/accounts/:id/settings  {hasExtraUsage?, requiresClaudeCode?, isDisabled?} (booleans)
 *   POST   /_sim/codex-accounts/:id/usage|expire|revoke   the same for a Codex account
 *   POST   /_sim/codex-accounts/:id/settings  {includesCodex?}
 *   POST   /_sim/codex/strict          {"enabled": bool}: the Codex backend's store/stream/instructions 400s
 *
 * Codex faults go through /_sim/script with `endpoint` set to codex_responses, codex_handshake,
 * codex_usage or codex_token (see SimEndpoint); `state` lists Codex accounts under codexAccounts.
 */
export function handleControl(exchange: SimExchange, state: SimulatorState): void {
  const method = exchange.req.method ?? 'GET';
  const path = exchange.url.pathname;
  try {
    const answer = route(method, path, exchange.body, state);
    if (answer === undefined) return sendJson(exchange.res, 404, { error: `no control route ${method} ${path}` });
    sendJson(exchange.res, 200, answer);
  } catch (error) {
    sendJson(exchange.res, 400, { error: errorMessage(error) });
  }
}

function route(method: string, path: string, body: string, state: SimulatorState): unknown {
  if (path === '/_sim/state' && method === 'GET') return state.snapshot();
  if (path === '/_sim/requests' && method === 'GET') return state.received;
  if (path === '/_sim/requests' && method === 'DELETE') {
    state.received.length = 0;
    return { cleared: true };
  }
  if (path === '/_sim/script' && method === 'POST') {
    const parsed = parseJson(body);
    const entries: unknown[] = Array.isArray(parsed)
      ? parsed
      : isObject(parsed) && Array.isArray(parsed['entries'])
        ? (parsed['entries'] as unknown[])
        : [parsed];
    // Validate all before queueing any, so a bad batch leaves the script unchanged.
    const parsedEntries = entries.map(parseScriptEntry);
    for (const entry of parsedEntries) state.faults.add(entry);
    return { queued: entries.length, pending: state.faults.pending() };
  }
  if (path === '/_sim/script' && method === 'DELETE') {
    state.faults.clear();
    return { cleared: true };
  }
  if (path === '/_sim/codex/strict' && method === 'POST') {
    const parsed = parseJson(body);
    if (!isObject(parsed) || typeof parsed['enabled'] !== 'boolean') throw new Error('body must be {"enabled": true|false}');
    state.codex.isStrict = parsed['enabled'];
    return { enabled: state.codex.isStrict };
  }
  const accountRoute = /^\/_sim\/(accounts|codex-accounts)\/([^/]+)\/(usage|expire|revoke|settings)$/.exec(path);
  if (accountRoute !== null && method === 'POST') {
    const id = decodeURIComponent(accountRoute[2] ?? '');
    const action = accountRoute[3];
    const target = accountRoute[1] === 'codex-accounts' ? state.codex : state.claude;
    if (action === 'usage') target.setUsage(id, parseUsageUpdate(parseJson(body)));
    if (action === 'expire') target.expireToken(id);
    if (action === 'revoke') target.revokeToken(id);
    if (action === 'settings' && target === state.claude) state.claude.setSettings(id, parseSettings(parseJson(body), CLAUDE_SETTINGS));
    if (action === 'settings' && target === state.codex) state.codex.setSettings(id, parseSettings(parseJson(body), CODEX_SETTINGS));
    const snapshot = state.snapshot();
    const accounts: Array<{ id: string }> = target === state.claude ? snapshot.accounts : snapshot.codexAccounts;
    return accounts.find((account) => account.id === id);
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new Error('body must be JSON');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const USAGE_FIELDS = [
  'fiveHourUtilization',
  'weeklyUtilization',
  'fiveHourResetAtMs',
  'weeklyResetAtMs',
  'opusWeeklyUtilization',
  'sonnetWeeklyUtilization',
  'extraLimitUsedPercent',
] as const;

function parseUsageUpdate(value: unknown): SimUsageUpdate {
  if (!isObject(value)) throw new Error('usage update must be an object');
  const update: SimUsageUpdate = {};
  for (const field of USAGE_FIELDS) {
    const number = value[field];
    if (number === undefined) continue;
    if (typeof number !== 'number' || !Number.isFinite(number)) throw new Error(`${field} must be a number`);
    update[field] = number;
  }
  return update;
}

const CLAUDE_SETTINGS = ['hasExtraUsage', 'requiresClaudeCode', 'isDisabled'] as const;
const CODEX_SETTINGS = ['includesCodex'] as const;

function parseSettings<Name extends string>(value: unknown, names: readonly Name[]): Partial<Record<Name, boolean>> {
  if (!isObject(value)) throw new Error('settings must be an object');
  const settings: Partial<Record<Name, boolean>> = {};
  for (const [name, setting] of Object.entries(value)) {
    if (!(names as readonly string[]).includes(name)) throw new Error(`unknown setting ${name}; known: ${names.join(', ')}`);
    if (typeof setting !== 'boolean') throw new Error(`${name} must be a boolean`);
    settings[name as Name] = setting;
  }
  return settings;
}
