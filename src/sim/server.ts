import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { onceClose, systemClock, type Clock } from '../lib/index.ts';
import { normalizeSpecs, type SimAccount, type SimAccountSettings, type SimAccountSpec } from './claude/accounts.ts';
import { normalizeCodexSpecs, type CodexAccountSpec, type SimCodexAccount, type SimCodexAccountSettings } from './codex/accounts.ts';
import { handleCodexToken } from './codex/oauth.ts';
import { handleDeviceToken, handleDeviceUserCode, handleDeviceVerify } from './codex/device-auth.ts';
import { handleAuthorize } from './authorize.ts';
import { handleCodexResponses } from './codex/responses.ts';
import { handleCodexUsage } from './codex/usage.ts';
import { CodexWebSockets } from './codex/websocket.ts';
import { handleControl } from './control.ts';
import type { SimScriptEntry } from './faults.ts';
import { cloudflareCookie, readBody, sendAnthropicError, type SimExchange } from './http.ts';
import { handleCountTokens, handleMessages } from './claude/messages.ts';
import { handleToken } from './claude/oauth.ts';
import { DEFAULT_CODEX_TOKEN_LIFETIME_MS } from './codex/plans.ts';
import { DEFAULT_TOKEN_LIFETIME_MS } from './claude/plans.ts';
import { SimulatorState, type SimReceivedRequest, type SimStateSnapshot } from './state.ts';
import { type SimUsageUpdate } from './account-table.ts';
import { handleProfile, handleUsage } from './claude/usage-endpoints.ts';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** A count of default accounts (plans cycle max20x, max5x, pro) or explicit specs; default 1. */
  accounts?: number | SimAccountSpec[];
  /** Drives token expiry and window resets; delays between SSE events use real timers. */
  clock?: Clock;
  /** Default 8 h, the observed `expires_in` of 28800. */
  tokenLifetimeMs?: number;
  /** Pause between SSE events, so buffering proxies are observable. Default 20 ms. */
  chunkDelayMs?: number;
  /** ChatGPT/Codex accounts: a count (plans cycle plus, pro) or explicit specs; default 0. */
  codexAccounts?: number | CodexAccountSpec[];
  /** Lifetime of a Codex access token (its JWT `exp`); default 10 days. */
  codexTokenLifetimeMs?: number;
  /** The `interval` the device-code endpoint tells a client to poll at; default 5 (seconds). */
  codexDeviceIntervalSeconds?: number;
}

export interface Simulator {
  /** e.g. `http://127.0.0.1:PORT` — use as the Anthropic API base URL. */
  readonly url: string;
  /** `${url}/v1/oauth/token`. */
  readonly tokenUrl: string;
  /** Live state: tokens change after a refresh, utilization after each request. */
  readonly accounts: readonly Readonly<SimAccount>[];
  /** `${url}/backend-api/codex`: a node's `codex.api_url`; responses at `/responses` (HTTP SSE or WebSocket). */
  readonly codexApiUrl: string;
  /** `${url}/oauth/token`, the auth.openai.com token endpoint. */
  readonly codexTokenUrl: string;
  /** `${url}/oauth/authorize`: both vendors' login page (the client id picks the vendor). */
  readonly authorizeUrl: string;
  /** `${url}/backend-api/wham/usage`. */
  readonly codexUsageUrl: string;
  readonly codexAccounts: readonly Readonly<SimCodexAccount>[];
  /** Every non-control request (WebSocket handshakes included), oldest first. */
  readonly received: readonly SimReceivedRequest[];
  account(id: string): Readonly<SimAccount>;
  script(entries: SimScriptEntry | SimScriptEntry[]): void;
  clearScript(): void;
  setUsage(id: string, update: SimUsageUpdate): void;
  setSettings(id: string, update: Partial<SimAccountSettings>): void;
  expireToken(id: string): void;
  revokeToken(id: string): void;
  clearReceived(): void;
  codexAccount(id: string): Readonly<SimCodexAccount>;
  setCodexUsage(id: string, update: SimUsageUpdate): void;
  setCodexSettings(id: string, update: Partial<SimCodexAccountSettings>): void;
  expireCodexToken(id: string): void;
  revokeCodexToken(id: string): void;
  state(): SimStateSnapshot;
  /** Idempotent; ends stalled streams and open connections. */
  close(): Promise<void>;
}

const DEFAULT_CHUNK_DELAY_MS = 20;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimulatorState({
    specs: normalizeSpecs(options.accounts),
    clock: options.clock ?? systemClock,
    tokenLifetimeMs: options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS,
    chunkDelayMs: options.chunkDelayMs ?? DEFAULT_CHUNK_DELAY_MS,
    codexSpecs: normalizeCodexSpecs(options.codexAccounts),
    codexTokenLifetimeMs: options.codexTokenLifetimeMs ?? DEFAULT_CODEX_TOKEN_LIFETIME_MS,
    codexDeviceIntervalSeconds: options.codexDeviceIntervalSeconds,
  });
  const server = createServer({ noDelay: true }, (req, res) => {
    handle(req, res, state).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendAnthropicError(res, 500, 'api_error', `simulator bug: ${String(error)}`);
    });
  });
  const webSockets = new CodexWebSockets(state);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws owns it, a reset on this socket must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    const onShutdown = (): void => {
      socket.destroy();
    };
    state.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    socket.once('close', () => state.shutdown.signal.removeEventListener('abort', onShutdown));
    state.record(receivedRequest(req, '', state.clock.now()));
    webSockets.upgrade(req, socket, head).catch(() => socket.destroy());
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const close = onceClose(async () => {
    const closed = once(server, 'close');
    server.close();
    state.shutdown.abort();
    webSockets.close();
    server.closeAllConnections();
    await closed;
  });

  return {
    url,
    tokenUrl: `${url}/v1/oauth/token`,
    codexApiUrl: `${url}/backend-api/codex`,
    codexTokenUrl: `${url}/oauth/token`,
    codexUsageUrl: `${url}/backend-api/wham/usage`,
    authorizeUrl: `${url}/oauth/authorize`,
    accounts: state.claude.accounts,
    codexAccounts: state.codex.accounts,
    received: state.received,
    account: (id) => state.claude.account(id),
    script: (entries) => {
      for (const entry of Array.isArray(entries) ? entries : [entries]) state.faults.add(entry);
    },
    clearScript: () => state.faults.clear(),
    setUsage: (id, update) => state.claude.setUsage(id, update),
    setSettings: (id, update) => state.claude.setSettings(id, update),
    expireToken: (id) => state.claude.expireToken(id),
    revokeToken: (id) => state.claude.revokeToken(id),
    clearReceived: () => {
      state.received.length = 0;
    },
    codexAccount: (id) => state.codex.account(id),
    setCodexUsage: (id, update) => state.codex.setUsage(id, update),
    setCodexSettings: (id, update) => state.codex.setSettings(id, update),
    expireCodexToken: (id) => state.codex.expireToken(id),
    revokeCodexToken: (id) => state.codex.revokeToken(id),
    state: () => state.snapshot(),
    close,
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, state: SimulatorState): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  const clientGone = new AbortController();
  res.on('close', () => clientGone.abort());
  const signal = AbortSignal.any([clientGone.signal, state.shutdown.signal]);
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    res.destroy();
    return;
  }
  const exchange: SimExchange = { req, res, url, body, signal };
  if (url.pathname.startsWith('/_sim/')) return handleControl(exchange, state);

  state.openStreams += 1;
  res.once('close', () => {
    state.openStreams -= 1;
  });
  state.record(receivedRequest(req, body, state.clock.now()));
  // Both vendors sit behind Cloudflare, whose bot-management cookie comes with every answer.
  res.setHeader('set-cookie', cloudflareCookie());
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  switch (route) {
    case 'POST /v1/messages':
      return handleMessages(exchange, state);
    case 'POST /v1/messages/count_tokens':
      return handleCountTokens(exchange, state);
    case 'POST /v1/oauth/token':
      return handleToken(exchange, state);
    case 'GET /api/oauth/usage':
      return handleUsage(exchange, state);
    case 'GET /api/oauth/profile':
      return handleProfile(exchange, state);
    case 'POST /backend-api/codex/responses':
      return handleCodexResponses(exchange, state);
    case 'GET /backend-api/wham/usage':
      return handleCodexUsage(exchange, state);
    case 'POST /oauth/token':
      return handleCodexToken(exchange, state);
    case 'GET /oauth/authorize':
      return handleAuthorize(exchange, state);
    case 'POST /api/accounts/deviceauth/usercode':
      return handleDeviceUserCode(exchange, state);
    case 'POST /api/accounts/deviceauth/token':
      return handleDeviceToken(exchange, state);
    case 'GET /codex/device':
      return handleDeviceVerify(exchange, state);
    default:
      return sendAnthropicError(res, 404, 'not_found_error', 'Not Found');
  }
}

function receivedRequest(req: IncomingMessage, body: string, atMs: number): SimReceivedRequest {
  const entry: SimReceivedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body, atMs };
  // Codex's conversation id; proxies may rewrite `_` as `-`.
  const sessionId = req.headers['session_id'] ?? req.headers['session-id'];
  if (typeof sessionId === 'string') entry.sessionId = sessionId;
  return entry;
}
