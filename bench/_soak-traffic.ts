/**
 * The soak's clients: `concurrency` workers, each sending one request at a time to the hub and
 * reading the whole answer. Kinds rotate: Claude JSON and SSE and Codex SSE for a user whose
 * routes are the laptop's capacity (through the tunnel), and Claude SSE on the balanced pool.
 * Every request carries its id in the model name, which both nodes write to their ledgers, so
 * each request can be followed to its ledger lines.
 */
import { Agent, request } from 'node:http';

export type RequestKind = 'claude-json' | 'claude-sse' | 'codex-sse' | 'pooled-sse';
const KINDS: RequestKind[] = ['claude-json', 'claude-sse', 'codex-sse', 'pooled-sse'];

/** ok: 2xx and the whole body; http_error: a whole non-2xx answer; broken: cut after the head; no_response: no head at all. */
export type Outcome = 'ok' | 'http_error' | 'broken' | 'no_response';

export interface SentRequest {
  id: number;
  kind: RequestKind;
  startedMs: number;
  outcome?: Outcome;
  status?: number;
}

export const MODEL_ID = /-soak-(\d+)$/;
/** A client gives up on a silent answer after this long; a stuck stream counts as broken. */
const CLIENT_IDLE_TIMEOUT_MS = 60_000;
/** A failed client pauses before its next request, as Claude Code and Codex do. */
const PAUSE_AFTER_ERROR_MS = 100;

export class Traffic {
  readonly requests: SentRequest[] = [];
  readonly inFlight = new Set<SentRequest>();
  readonly #hubUrl: () => string;
  readonly #tokens: { tunnelUser: string; poolUser: string };
  readonly #agent: Agent;
  #isStopping = false;
  #workers: Promise<void>[] = [];

  constructor(options: { hubUrl: () => string; tokens: { tunnelUser: string; poolUser: string }; concurrency: number }) {
    this.#hubUrl = options.hubUrl;
    this.#tokens = options.tokens;
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    this.#workers = Array.from({ length: options.concurrency }, () => this.#work());
  }

  count(outcome: Outcome): number {
    return this.requests.filter((sent) => sent.outcome === outcome).length;
  }

  /** Lets every in-flight request finish, then resolves. */
  async stop(): Promise<void> {
    this.#isStopping = true;
    await Promise.all(this.#workers);
    this.#agent.destroy();
  }

  async #work(): Promise<void> {
    while (!this.#isStopping) {
      const sent: SentRequest = {
        id: this.requests.length,
        kind: KINDS[this.requests.length % KINDS.length] ?? 'claude-json',
        startedMs: Date.now(),
      };
      this.requests.push(sent);
      this.inFlight.add(sent);
      await this.#send(sent);
      this.inFlight.delete(sent);
      if (sent.outcome !== 'ok') await new Promise((resolve) => setTimeout(resolve, PAUSE_AFTER_ERROR_MS));
    }
  }

  #send(sent: SentRequest): Promise<void> {
    const { path, token, body, headers } = this.#shape(sent);
    const target = new URL(path, this.#hubUrl());
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent: this.#agent,
          headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          sent.status = res.statusCode;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            const isComplete =
              !sent.kind.endsWith('sse') || text.includes(sent.kind === 'codex-sse' ? 'response.completed' : 'message_stop');
            const isSuccess = sent.status !== undefined && sent.status >= 200 && sent.status < 300;
            sent.outcome = isSuccess ? (isComplete ? 'ok' : 'broken') : 'http_error';
            resolve();
          });
          res.on('error', () => {});
          res.on('close', () => {
            // Cut after the head: 'end' never came.
            sent.outcome ??= 'broken';
            resolve();
          });
        },
      );
      req.setTimeout(CLIENT_IDLE_TIMEOUT_MS, () => req.destroy(new Error('client idle timeout')));
      req.on('error', () => {
        sent.outcome ??= sent.status === undefined ? 'no_response' : 'broken';
        resolve();
      });
      req.end(payload);
    });
  }

  #shape(sent: SentRequest): { path: string; token: string; body: object; headers: Record<string, string> } {
    // A bounded set of sessions, as a few long Claude Code / Codex sessions would make.
    const session = `soak-session-${sent.id % 64}`;
    if (sent.kind === 'codex-sse') {
      return {
        path: '/v1/responses',
        token: this.#tokens.tunnelUser,
        body: { model: `gpt-5-codex-soak-${sent.id}`, input: 'hello', stream: true },
        headers: { session_id: session },
      };
    }
    return {
      path: '/v1/messages',
      token: sent.kind === 'pooled-sse' ? this.#tokens.poolUser : this.#tokens.tunnelUser,
      body: {
        model: `claude-sonnet-4-5-soak-${sent.id}`,
        max_tokens: 64,
        stream: sent.kind !== 'claude-json',
        messages: [{ role: 'user', content: 'hello' }],
        metadata: { user_id: JSON.stringify({ session_id: session }) },
      },
      headers: { 'anthropic-version': '2023-06-01' },
    };
  }
}
