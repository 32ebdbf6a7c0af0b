/**
 * Drives `quotamesh login` in-process the way a person does: read the link it prints, "log in"
 * by opening it at the simulator (which answers the 302 back to the redirect), and hand the code
 * back — pasted into its input, or by following the redirect to its loopback listener.
 */
import { PassThrough } from 'node:stream';
import { runLogin, type LoginOptions } from '../../../src/commands/login.ts';
import { waitFor } from '../../helpers/wait-for.ts';

export interface LoginRun {
  input: PassThrough;
  lines: string[];
  /** The exit code runLogin returns (it throws for usage and file errors). */
  done: Promise<number>;
  /** The first link printed (the authorize or verification URL). */
  link(): Promise<string>;
  output(): string;
}

export function startLogin(options: Omit<LoginOptions, 'input' | 'print'>): LoginRun {
  const input = new PassThrough();
  const lines: string[] = [];
  const done = runLogin({ ...options, input, print: (line) => lines.push(line) });
  // A rejection is the test's to see through `done`; this keeps it from being reported twice.
  done.catch(() => undefined);
  return {
    input,
    lines,
    done,
    link: () =>
      waitFor(() => /\s(https?:\/\/\S+)/.exec(lines.join('\n'))?.[1], { message: 'the login link to be printed', timeoutMs: 10_000 }),
    output: () => lines.join('\n'),
  };
}

/** The person logs in: the simulator approves and redirects; the Location carries code and state. */
export async function approve(link: string, account?: string): Promise<URL> {
  const url = new URL(link);
  if (account !== undefined) url.searchParams.set('sim_account', account);
  const response = await fetch(url, { redirect: 'manual' });
  if (response.status !== 302) throw new Error(`authorize answered ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get('location') ?? '');
}

/** What Claude's code page shows for that redirect. */
export function codePageText(location: URL): string {
  return `${location.searchParams.get('code') ?? ''}#${location.searchParams.get('state') ?? ''}`;
}
