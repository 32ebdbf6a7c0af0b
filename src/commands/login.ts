/**
 * `quotamesh login claude|codex` (README.md › Add an account): the vendor CLI's own OAuth login,
 * its result written into the vendor CLI's own file — by default where that CLI keeps it, with
 * `--path` anywhere, with `--credential TAG` over the file of a configured credential (a
 * re-login in place when its refresh token died; every other key of the file stays).
 *
 * Claude: the link's redirect is Claude's code page, whose `code#state` the person pastes here
 * (works on a machine without a browser); `--callback-port N` uses Claude Code's loopback
 * redirect instead. Codex: the link's redirect is Codex CLI's loopback listener on port 1455; on
 * another machine the person pastes the address the browser could not open. `--device` runs
 * Codex's device-code login.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { systemClock } from '../lib/index.ts';
import { checkLoginTarget, loadConfigFile, saveLogin, type Config } from '../node/index.ts';
import {
  completeDeviceCode,
  parsePastedCode,
  providerNamed,
  requestDeviceCode,
  stateMismatch,
  type AnyProviderModule,
  type LoginEndpoints,
  type LoginResult,
  type LoginStart,
  type ProviderName,
} from '../providers/index.ts';
import { resolveConfigPath } from './config-path.ts';
import { listenForCallback, type CallbackResult } from './login-callback.ts';
import { UsageError } from './usage-error.ts';

export interface LoginOptions {
  provider: string | undefined;
  path?: string | undefined;
  configPath?: string | undefined;
  credential?: string | undefined;
  authorizeUrl?: string | undefined;
  tokenUrl?: string | undefined;
  device?: boolean | undefined;
  callbackPort?: number | undefined;
  /** Where a pasted code arrives (stdin). */
  input: NodeJS.ReadableStream;
  /** Where the link and messages go (stdout). */
  print: (line: string) => void;
  nowMs?: () => number;
  signal?: AbortSignal;
}

export async function runLogin(options: LoginOptions): Promise<number> {
  const provider = providerNamed(options.provider ?? '');
  if (provider === undefined) throw new UsageError(`login needs a provider: claude or codex, got "${options.provider ?? ''}"`);
  if (options.device === true && provider.name !== 'codex')
    throw new UsageError('--device is Codex-only (Claude has no device-code login)');
  if (options.path !== undefined && options.credential !== undefined) throw new UsageError('give --path or --credential, not both');
  const config =
    options.credential !== undefined || options.configPath !== undefined
      ? loadConfigFile(resolveConfigPath(options.configPath))
      : undefined;
  const path = targetPath(provider, options, config);
  const endpoints = loginEndpoints(provider, options, config);
  const nowMs = options.nowMs ?? (() => systemClock.now());
  await checkLoginTarget(path);

  const result =
    options.device === true ? await deviceLogin(endpoints, options, nowMs) : await browserLogin(provider, endpoints, options, nowMs);
  if (result.kind === 'refused') {
    options.print(`login refused: ${result.message}`);
    return 1;
  }
  await saveLogin(provider, path, result, nowMs());
  options.print(`Logged in${result.account === undefined ? '' : ` as ${result.account}`}; wrote ${path}`);
  return 0;
}

function targetPath(provider: AnyProviderModule, options: LoginOptions, config: Config | undefined): string {
  if (options.credential !== undefined) {
    const credential = config?.[provider.name as ProviderName]?.credentials.find((candidate) => candidate.tag === options.credential);
    if (credential?.type !== 'default') {
      throw new UsageError(`no default credential "${options.credential}" under ${provider.name}.credentials in the config`);
    }
    return credential.path;
  }
  return expandPath(options.path ?? provider.login.defaultPath);
}

function loginEndpoints(provider: AnyProviderModule, options: LoginOptions, config: Config | undefined): LoginEndpoints {
  const section = config?.[provider.name as ProviderName] as Record<string, unknown> | undefined;
  const fromConfig = (key: string): string | undefined => (typeof section?.[key] === 'string' ? (section[key] as string) : undefined);
  return {
    authorizeUrl: options.authorizeUrl ?? fromConfig('authorize_url') ?? provider.login.defaultEndpoints.authorizeUrl,
    tokenUrl: options.tokenUrl ?? fromConfig('oauth_url') ?? provider.login.defaultEndpoints.tokenUrl,
  };
}

async function browserLogin(
  provider: AnyProviderModule,
  endpoints: LoginEndpoints,
  options: LoginOptions,
  nowMs: () => number,
): Promise<LoginResult> {
  const login = provider.login;
  const isLoopback = options.callbackPort !== undefined || login.pasteRedirectUri === undefined;
  let start: LoginStart | undefined;
  const callback = isLoopback
    ? await listenForCallback({
        port: options.callbackPort ?? login.defaultLoopbackPort,
        path: new URL(login.loopbackRedirectUri(1)).pathname,
        stateOf: () => start?.state,
      })
    : undefined;
  const pasted = readOneLine(options.input);
  try {
    const redirectUri = callback === undefined ? (login.pasteRedirectUri ?? '') : login.loopbackRedirectUri(callback.port);
    start = login.start(endpoints, redirectUri);
    options.print(`Open this link in a browser and log in to ${provider.label}:\n\n  ${start.authorizeUrl}\n`);
    options.print(
      callback === undefined
        ? 'Then paste the code the page shows (code#state) here and press Enter:'
        : `Waiting for the browser to return to ${redirectUri}.\nOn another machine, copy the address the browser could not open and paste it here:`,
    );
    const pastedResult = pasted.line.then((line): CallbackResult | undefined => {
      if (line !== undefined) return parsePastedCode(line);
      return callback === undefined ? { error: 'no code was pasted' } : undefined;
    });
    const waits: Array<Promise<CallbackResult | undefined>> = [
      pastedResult.then((result) => result ?? new Promise<never>(() => undefined)),
    ];
    if (callback !== undefined) waits.push(callback.result);
    if (options.signal !== undefined) waits.push(aborted(options.signal));
    const answer = (await Promise.race(waits)) ?? { error: 'login cancelled' };
    if ('error' in answer) return { kind: 'refused', message: answer.error };
    const mismatch = stateMismatch(start, answer.state);
    if (mismatch !== undefined) return { kind: 'refused', message: mismatch };
    return await login.exchange(endpoints, start, answer.code, { nowMs });
  } finally {
    pasted.close();
    await callback?.close();
  }
}

async function deviceLogin(endpoints: LoginEndpoints, options: LoginOptions, nowMs: () => number): Promise<LoginResult> {
  const device = await requestDeviceCode(endpoints, { nowMs });
  if ('error' in device) return { kind: 'refused', message: device.error };
  options.print(
    `Open this link in a browser and sign in:\n\n  ${device.verificationUrl}\n\nThen enter this one-time code (it expires in 15 minutes; never share it):\n\n  ${device.userCode}\n`,
  );
  return completeDeviceCode(endpoints, device, { nowMs, ...(options.signal ? { signal: options.signal } : {}) });
}

/** The first non-empty line of the input, or undefined at its end; close() stops reading. */
function readOneLine(input: NodeJS.ReadableStream): { line: Promise<string | undefined>; close(): void } {
  const lines = createInterface({ input, terminal: false });
  const line = new Promise<string | undefined>((resolve) => {
    lines.on('line', (text) => {
      if (text.trim() !== '') resolve(text);
    });
    lines.once('close', () => resolve(undefined));
  });
  return { line, close: () => lines.close() };
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

function expandPath(path: string): string {
  return resolve(path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);
}

/** `quotamesh login …` from argv (cli.ts): one positional, the provider. */
export async function loginMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      path: { type: 'string' },
      config: { type: 'string' },
      credential: { type: 'string' },
      'authorize-url': { type: 'string' },
      'token-url': { type: 'string' },
      device: { type: 'boolean' },
      'callback-port': { type: 'string' },
      debug: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('login takes one provider: quotamesh login claude|codex');
  const port = values['callback-port'];
  const callbackPort = port === undefined ? undefined : Number(port);
  if (callbackPort !== undefined && (!Number.isInteger(callbackPort) || callbackPort < 0 || callbackPort > 65535)) {
    throw new UsageError(`--callback-port must be a port number, got "${port ?? ''}"`);
  }
  return runLogin({
    provider: positionals[0],
    path: values.path,
    configPath: values.config,
    credential: values.credential,
    authorizeUrl: values['authorize-url'],
    tokenUrl: values['token-url'],
    device: values.device,
    callbackPort,
    input: process.stdin,
    print: (line) => process.stdout.write(`${line}\n`),
  });
}
