import OpenAI from 'openai';
import WebSocket from 'ws';
import type { SimCodexAccount, Simulator } from '../../../src/sim/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';

export const CODEX_MODEL = 'gpt-5-codex';
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
export const WEBSOCKET_BETA = 'responses_websockets=2026-02-06';

export function codexAuthHeaders(account: Readonly<SimCodexAccount>): Record<string, string> {
  return { authorization: `Bearer ${account.accessToken}`, 'chatgpt-account-id': account.accountId };
}

/** The official SDK pointed at the ChatGPT backend as Codex's provider config would; no retries. */
export function codexClient(sim: Simulator, account: Readonly<SimCodexAccount>, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    baseURL: sim.codexApiUrl,
    apiKey: account.accessToken,
    defaultHeaders: { 'ChatGPT-Account-Id': account.accountId, ...headers },
    maxRetries: 0,
  });
}

export function responsesBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: CODEX_MODEL, input: [{ role: 'user', content: 'hello' }], stream: true, ...extra });
}

export function postResponses(sim: Simulator, headers: Record<string, string>, body = responsesBody()): Promise<Response> {
  return fetch(`${sim.codexApiUrl}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

export function refreshCodex(sim: Simulator, refreshToken: string, options: { form?: boolean; clientId?: string } = {}): Promise<Response> {
  const fields = { client_id: options.clientId ?? CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken };
  return fetch(sim.codexTokenUrl, {
    method: 'POST',
    headers: { 'content-type': options.form === true ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: options.form === true ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
}

export type Frame = Record<string, unknown> & { type: string };

/** A `ws` client that keeps every frame it receives, parsed. */
export interface CodexSocket {
  socket: WebSocket;
  frames: Frame[];
  send(event: Record<string, unknown>): void;
  /** Resolves with all frames once one of `type` has arrived `count` times. */
  framesUntil(type: string, count?: number): Promise<Frame[]>;
  closed: Promise<void>;
  /** Headers of the 101 Switching Protocols. */
  upgradeHeaders: Record<string, string | string[] | undefined>;
}

export function codexSocketUrl(sim: Simulator): string {
  return `${sim.codexApiUrl.replace(/^http/, 'ws')}/responses`;
}

export function connectCodex(sim: Simulator, headers: Record<string, string>): Promise<CodexSocket> {
  const socket = new WebSocket(codexSocketUrl(sim), { headers: { 'openai-beta': WEBSOCKET_BETA, ...headers } });
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let upgradeHeaders: CodexSocket['upgradeHeaders'] = {};
  socket.once('upgrade', (response) => {
    upgradeHeaders = response.headers;
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        closed,
        upgradeHeaders,
        send: (event) => socket.send(JSON.stringify(event)),
        framesUntil: (type, count = 1) =>
          waitFor(
            () => (frames.filter((frame) => frame.type === type).length >= count ? [...frames] : undefined),
            `${count} ${type} frame(s)`,
          ),
      }),
    );
  });
}

/** A handshake the server refuses: its HTTP status, headers and body. */
export function refusedHandshake(
  sim: Simulator,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const socket = new WebSocket(codexSocketUrl(sim), { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('handshake unexpectedly accepted'));
    });
    socket.once('error', () => undefined);
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => {
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
      });
    });
  });
}
