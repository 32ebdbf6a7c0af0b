/**
 * A soak process (bench/_soak-child.ts) and the TCP forwarder the laptop dials the hub through,
 * so the soak can cut the tunnel's connection the way a network does, without stopping a node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { SoakChildMessage, SoakStats } from './_soak-child.ts';

const CHILD = join(import.meta.dirname, '_soak-child.ts');

export class SoakProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly exited: Promise<void>;
  #nextId = 0;

  constructor(name: string) {
    this.name = name;
    // --expose-gc: heap figures are taken after a collection, so they show what is retained.
    this.#child = fork(CHILD, [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (envelope: { id: number; reply?: unknown; error?: string }) => {
      const waiter = this.#pending.get(envelope.id);
      this.#pending.delete(envelope.id);
      if (envelope.error !== undefined) waiter?.reject(new Error(`${name}: ${envelope.error}`));
      else waiter?.resolve(envelope.reply);
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`${name} exited`));
      this.#pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  request<T>(message: SoakChildMessage, timeoutMs = 30_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name} did not answer ${message.kind} in ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = {
        resolve: (value: unknown) => (clearTimeout(timer), resolve(value as T)),
        reject: (error: Error) => (clearTimeout(timer), reject(error)),
      };
      this.#pending.set(id, settle);
      if (!this.#child.connected) return settle.reject(new Error(`${this.name} is gone`));
      this.#child.send({ id, message });
    });
  }

  stats(): Promise<SoakStats | undefined> {
    return this.request<SoakStats>({ kind: 'stats' }, 10_000).catch(() => undefined);
  }

  /** SIGKILL: no drain, no GoAway, whatever was being written is cut. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** A clean stop (the node drains and closes its tunnels), SIGKILL as a backstop. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await this.request({ kind: 'close' }, 15_000).catch(() => undefined);
    if (this.#child.connected) this.#child.disconnect();
    const backstop = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(backstop);
  }
}

export interface Forwarder {
  url: string;
  /** Destroys every forwarded connection; returns how many there were. */
  cut(): number;
  close(): Promise<void>;
}

/** 127.0.0.1:<any> → 127.0.0.1:targetPort, byte for byte. */
export async function startForwarder(targetPort: number): Promise<Forwarder> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const cut = (): number => {
    const count = pairs.size;
    for (const [inbound, outbound] of [...pairs]) {
      // A reset, not a FIN: neither side gets a clean close, as when a NAT mapping is lost.
      inbound.resetAndDestroy();
      outbound.resetAndDestroy();
    }
    pairs.clear();
    return count;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut,
    close: async () => {
      cut();
      server.close();
      await once(server, 'close');
    },
  };
}
