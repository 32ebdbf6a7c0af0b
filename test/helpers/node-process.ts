/**
 * Runs a node in a child process (node-process-child.ts) so a test can SIGKILL or SIGTERM it.
 * The child is forked first and configured later: a test can have a replacement ready (tsx
 * loaded) before it kills the node it replaces. Every child is killed by `killAllNodeProcesses`
 * (call it in an after-hook, so a failing test leaves nothing running).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { NodeProcessStart } from './node-process-child.ts';

const CHILD = join(import.meta.dirname, 'node-process-child.ts');

export interface NodeProcess {
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** Every log line the node wrote so far (JSON, one object per line). */
  readonly logs: string[];
  /** Resolves when the process has exited, with its code (null when a signal ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export interface ForkedNode {
  start(message: NodeProcessStart): Promise<NodeProcess>;
}

const children = new Set<ChildProcess>();

export function forkNode(): ForkedNode {
  const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.add(child);
  const logs: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines.filter((line) => line !== ''));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    start: async (message) => {
      const reply = await new Promise<{ url: string; port: number }>((resolve, reject) => {
        child.once('message', (value) => resolve(value as { url: string; port: number }));
        void exited.then(({ code, signal }) => reject(new Error(`node process exited (${code ?? signal}) before it listened`)));
        child.send(message);
      });
      return { pid: child.pid ?? 0, url: reply.url, port: reply.port, logs, exited, kill: (signal) => child.kill(signal) };
    },
  };
}

export async function startNodeProcess(message: NodeProcessStart): Promise<NodeProcess> {
  return forkNode().start(message);
}

/** SIGKILLs every child still running and waits until each has gone. */
export async function killAllNodeProcesses(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}

/** A loopback port nobody listens on right now, for a node that must come back on the same port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The log lines (parsed) whose `msg` is `message`. */
export function logLines(logs: readonly string[], message: string): Array<Record<string, unknown>> {
  return logs
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((line) => line.msg === message);
}
