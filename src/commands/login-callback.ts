/**
 * The loopback listener a vendor's redirect lands on (`http://localhost:1455/auth/callback` for
 * Codex, `http://localhost:<port>/callback` for Claude Code), as codex-rs/login/src/server.rs
 * runs it: on 127.0.0.1 only; a callback whose `state` is not this login's gets 400 "State
 * mismatch" and the listener keeps waiting (a stale tab must not end the login); the first
 * callback with the right state ends it. The person's browser gets a short page either way.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePastedCode, type PastedCode } from '../providers/index.ts';

export type CallbackResult = PastedCode;

export interface LoginCallback {
  readonly port: number;
  /** Settles with the first callback carrying this login's state (or the vendor's error). */
  readonly result: Promise<CallbackResult>;
  close(): Promise<void>;
}

const PAGE_DONE = 'Login received; the terminal says whether it worked. You can close this tab.';

/** `stateOf` is read per request: the state is made after the port is known (it is in the redirect). */
export async function listenForCallback(options: {
  port: number;
  path: string;
  stateOf: () => string | undefined;
}): Promise<LoginCallback> {
  let settle: (result: CallbackResult) => void = () => undefined;
  const result = new Promise<CallbackResult>((resolve) => {
    settle = resolve;
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== options.path) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found');
      return;
    }
    const state = options.stateOf();
    if (state === undefined || url.searchParams.get('state') !== state) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('State mismatch');
      return;
    }
    // Read as a pasted callback URL would be: one parser, vendor text made printable.
    const answer = parsePastedCode(url.toString());
    res.writeHead('error' in answer ? 400 : 200, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end('error' in answer ? 'Login failed; see the terminal.' : PAGE_DONE);
    settle(answer);
  });
  server.listen(options.port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${options.port} is in use (another login still running?); free it or pass --callback-port`
        : `cannot listen on 127.0.0.1:${options.port} (${code ?? String(error)})`,
    );
  }
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    result,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
