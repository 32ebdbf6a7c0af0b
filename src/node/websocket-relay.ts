/**
 * One relayed WebSocket session after both handshakes: frames both ways, rate-limit events
 * turned into the pool aggregate, and turns moved between accounts. A turn (the client's
 * `response.create`) that the upstream refuses because of the account's quota before anything of
 * it reached the client is sent again on another account's connection: the refusal benches the
 * credential as an HTTP 429 does, and the client sees the turn answered. A session whose
 * credential becomes unusable otherwise is closed with 1013 so the client reconnects.
 */
import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { toUnixSeconds, type Clock } from '../lib/index.ts';
import type { Credential } from '../pool/index.ts';
import type { WebSocketWire } from '../providers/index.ts';
import type { ProviderStatus } from '../status/index.ts';

/** Enough for a pool's worth of accounts refusing one turn; a bound against a refusal loop. */
const MAX_MOVES_PER_TURN = 8;
/** Codex sends nothing while a turn runs; a client that floods frames during a move is cut off. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

export interface OpenUpstream {
  credential: Credential;
  socket: WebSocket;
}

export interface RelayDeps {
  clock: Clock;
  logger: Logger;
  wire: WebSocketWire;
  aggregate(): ProviderStatus;
  /** Token usage of the session's frames. */
  pushUsage(bytes: Buffer): void;
  /** Another credential's open upstream, or undefined when none can take the turn. */
  reopen(signal: AbortSignal): Promise<OpenUpstream | undefined>;
}

interface Turn {
  text: string;
  movable: boolean;
  /** Something of the turn's answer reached the client: it can no longer move. */
  answered: boolean;
  moves: number;
}

export class WebSocketRelay {
  readonly #client: WebSocket;
  readonly #deps: RelayDeps;
  readonly #closed = new AbortController();
  #current: OpenUpstream;
  #stopWatching: () => void = () => {};
  #turn: Turn | undefined;
  /** Client frames that arrive while a turn moves, sent after it. */
  #queued: Array<{ data: RawData; isBinary: boolean }> | undefined;
  #queuedBytes = 0;
  model: string | undefined;

  constructor(client: WebSocket, upstream: OpenUpstream, deps: RelayDeps, model: string | undefined) {
    this.#client = client;
    this.#deps = deps;
    this.#current = upstream;
    this.model = model;
    client.on('message', (data: RawData, isBinary: boolean) => this.#fromClient(data, isBinary));
    client.on('close', (code, reason) => this.#closeBoth(sendable(code), reason.toString()));
    client.on('error', () => this.#current.socket.terminate());
    client.once('close', () => {
      this.#closed.abort();
      this.#stopWatching();
    });
    this.#attach(upstream);
  }

  /** The credential serving the session now (the last one a turn moved to). */
  get credential(): Credential {
    return this.#current.credential;
  }

  /** Node shutdown: 1001 going away on both sides. */
  close(): void {
    this.#client.close(1001, 'node shutting down');
    this.#current.socket.close(1001, 'node shutting down');
  }

  #attach(upstream: OpenUpstream): void {
    const { socket, credential } = upstream;
    const { clock } = this.#deps;
    socket.on('message', (data: RawData, isBinary: boolean) => this.#fromUpstream(data, isBinary));
    socket.on('close', (code, reason) => this.#closeBoth(sendable(code), reason.toString()));
    socket.on('error', () => this.#client.terminate());
    this.#stopWatching = credential.onChange(() => {
      if (this.#queued === undefined && !credential.isUsable(clock.now()))
        this.#closeBoth(1013, 'credential became unavailable; reconnect');
    });
  }

  /** Stops listening to an upstream we leave; its close must not end the client's session. */
  #detach(upstream: OpenUpstream): void {
    this.#stopWatching();
    upstream.socket.removeAllListeners('message');
    upstream.socket.removeAllListeners('close');
    upstream.socket.removeAllListeners('error');
    upstream.socket.on('error', () => {});
    if (upstream.socket.readyState === WebSocket.OPEN) upstream.socket.close(1000, 'turn moved to another account');
    else upstream.socket.terminate();
  }

  #fromClient(data: RawData, isBinary: boolean): void {
    if (!isBinary) {
      const text = data.toString();
      this.model ??= this.#deps.wire.modelOf(text);
      const start = this.#deps.wire.turnStart(text);
      if (start !== undefined) this.#turn = { text, movable: start.movable, answered: false, moves: 0 };
    }
    if (this.#queued !== undefined) {
      this.#queuedBytes += rawLength(data);
      if (this.#queuedBytes > MAX_QUEUED_BYTES) return this.#closeBoth(1008, 'too much sent while the turn moved');
      return void this.#queued.push({ data, isBinary });
    }
    if (this.#current.socket.readyState === WebSocket.OPEN) this.#current.socket.send(data, { binary: isBinary });
  }

  #fromUpstream(data: RawData, isBinary: boolean): void {
    const turn = this.#turn;
    if (isBinary) {
      if (turn !== undefined) turn.answered = true;
      return this.#client.send(data, { binary: true });
    }
    const { wire, clock } = this.#deps;
    const text = data.toString();
    const usage = wire.usageBytes(text);
    if (usage !== undefined) this.#deps.pushUsage(usage);
    const outcome = wire.eventOutcome(text, toUnixSeconds(clock.now()));
    if (turn !== undefined && !turn.answered && turn.movable && turn.moves < MAX_MOVES_PER_TURN && wire.isAccountRefusal(text)) {
      // Bench first (watcher suspended while the turn moves), then look for another account.
      this.#queued = [];
      this.#queuedBytes = 0;
      if (outcome !== undefined) this.#current.credential.observe(outcome, clock.now());
      return void this.#move(turn, text);
    }
    if (outcome !== undefined && wire.isRateLimitEvent(outcome)) {
      this.#current.credential.observe(outcome, clock.now());
      return this.#client.send(JSON.stringify(wire.aggregateEvent(this.#deps.aggregate())));
    }
    if (turn !== undefined) turn.answered = true;
    // The refusal reaches the client before the credential learns from it: learning may end the session.
    this.#client.send(text);
    if (outcome !== undefined) this.#current.credential.observe(outcome, clock.now());
  }

  async #move(turn: Turn, refusal: string): Promise<void> {
    const left = this.#current;
    this.#detach(left);
    turn.moves += 1;
    const next = await this.#deps.reopen(this.#closed.signal).catch(() => undefined);
    const queued = this.#queued ?? [];
    this.#queued = undefined;
    if (next === undefined || this.#closed.signal.aborted) {
      next?.socket.terminate();
      // Nobody can take the turn: the client gets the refusal, and a session without an upstream ends.
      if (this.#client.readyState === WebSocket.OPEN) this.#client.send(refusal);
      return this.#closeBoth(1013, 'credential became unavailable; reconnect');
    }
    this.#deps.logger.info(
      { from: left.credential.tag, to: next.credential.tag },
      'websocket turn refused for quota, replayed on another credential',
    );
    this.#current = next;
    this.#attach(next);
    next.socket.send(turn.text);
    for (const { data, isBinary } of queued) next.socket.send(data, { binary: isBinary });
  }

  #closeBoth(code: number, reason: string): void {
    if (this.#client.readyState === WebSocket.OPEN) this.#client.close(code, reason);
    const upstream = this.#current.socket;
    if (upstream.readyState === WebSocket.OPEN) upstream.close(code === 1013 ? 1000 : code, reason);
  }
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

/** 1005/1006 describe a close without a frame; they cannot be sent on. */
function sendable(code: number): number {
  return code === 1005 || code === 1006 || code < 1000 ? 1000 : code;
}
