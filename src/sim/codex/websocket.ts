import { randomBytes } from 'node:crypto';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { SimCodexAccount } from './accounts.ts';
import { codexHeaders } from './headers.ts';
import { answerCodexTurnFault, authenticateCodex, sendCodexAuthFailure, sendOpenAIError, sendUsageLimit } from './http.ts';
import { codexWindows, isCodexRejected } from './windows.ts';
import { runCodexSession } from './websocket-session.ts';
import { cloudflareCookie, type SimExchange } from '../http.ts';
import type { SimulatorState } from '../state.ts';

export const CODEX_RESPONSES_PATH = '/backend-api/codex/responses';
/** The model the simulated backend names on a WebSocket 101 (`openai-model`). */
export const SIM_SERVER_MODEL = 'gpt-5-codex';

/**
 * `GET /backend-api/codex/responses` with `Upgrade: websocket`. Everything is decided at the
 * handshake, before any frame: Bearer + ChatGPT-Account-Id, the `OpenAI-Beta:
 * responses_websockets=…` header the endpoint requires (sing-box `016e5e1b`), a scripted
 * `codex_handshake` fault, and an account already out of quota — all answered as plain HTTP
 * (a 429 there is what a proxy rotates on). The 101 carries the `x-codex-*` headers.
 */
export class CodexWebSockets {
  readonly #server = new WebSocketServer({ noServer: true });
  readonly #state: SimulatorState;
  /** Handshake headers waiting for the `headers` event of their request. */
  readonly #extraHeaders = new WeakMap<IncomingMessage, Record<string, string>>();

  constructor(state: SimulatorState) {
    this.#state = state;
    this.#server.on('headers', (lines: string[], req: IncomingMessage) => {
      for (const [name, value] of Object.entries(this.#extraHeaders.get(req) ?? {})) lines.push(`${name}: ${value}`);
    });
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const state = this.#state;
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const exchange = rejectionExchange(req, socket, url, state.shutdown.signal);
    if (url.pathname !== CODEX_RESPONSES_PATH) {
      return sendOpenAIError(exchange.res, 404, { message: 'Not Found', type: 'invalid_request_error', param: null, code: null });
    }
    const auth = authenticateCodex(req, state.codex);
    if ('failure' in auth) return sendCodexAuthFailure(exchange.res, auth.failure);
    const { account } = auth;
    if (!String(req.headers['openai-beta'] ?? '').includes('responses_websockets=')) {
      return sendOpenAIError(exchange.res, 400, {
        message: 'WebSocket mode requires the OpenAI-Beta: responses_websockets=2026-02-06 header',
        type: 'invalid_request_error',
        param: null,
        code: 'missing_beta_header',
      });
    }
    account.counters.websocketConnections += 1;
    const nowMs = state.clock.now();
    const fault = state.faults.take('codex_handshake', account.id);
    if (fault !== undefined && (await answerCodexTurnFault(exchange, fault, account, nowMs))) return;
    if (socket.destroyed) return;
    if (isCodexRejected(codexWindows(account))) return sendUsageLimit(exchange.res, account, state.clock.now());

    this.#extraHeaders.set(req, { ...codexHeaders(account, codexWindows(account), state.clock.now()), ...handshakeHeaders(req, account) });
    this.#server.handleUpgrade(req, socket, head, (webSocket) => {
      state.codex.openWebSockets += 1;
      webSocket.once('close', () => {
        state.codex.openWebSockets -= 1;
      });
      runCodexSession(webSocket, account, state);
    });
  }

  /** Ends every session at once (the simulator is going away, no close handshake). */
  close(): void {
    for (const client of this.#server.clients) client.terminate();
    this.#server.close();
  }
}

/**
 * What Codex reads from the 101 (openai/codex codex-rs/codex-api/src/endpoint/responses_websocket.rs,
 * `connect_websocket`): the turn state it sends back on its next connection (echoed when it did,
 * else minted per account so a test sees which account's 101 a client got), whether reasoning is
 * included, the models catalog ETag and the model the server picked.
 */
function handshakeHeaders(req: IncomingMessage, account: SimCodexAccount): Record<string, string> {
  const sent = req.headers['x-codex-turn-state'];
  return {
    'x-codex-turn-state': typeof sent === 'string' && sent !== '' ? sent : `ts_${account.id}_${randomBytes(6).toString('hex')}`,
    'x-reasoning-included': 'true',
    'x-models-etag': 'W/"sim-models-1"',
    'openai-model': SIM_SERVER_MODEL,
    'set-cookie': cloudflareCookie(),
  };
}

/**
 * A refused handshake is an ordinary HTTP response on the raw socket; a ServerResponse bound to
 * it lets the HTTP handlers' error writers serve both. Built lazily: a successful upgrade must
 * find the socket untouched.
 */
function rejectionExchange(req: IncomingMessage, socket: Duplex, url: URL, shutdown: AbortSignal): SimExchange {
  const gone = new AbortController();
  socket.once('close', () => gone.abort());
  let res: ServerResponse | undefined;
  const lazy = (): ServerResponse => {
    if (res !== undefined) return res;
    res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    return res;
  };
  return {
    req,
    get res(): ServerResponse {
      return lazy();
    },
    url,
    body: '',
    signal: AbortSignal.any([gone.signal, shutdown]),
  };
}
