/**
 * `quotamesh statusline`: a command for Claude Code's `statusLine` setting. Claude Code ignores
 * the `anthropic-ratelimit-unified-*` headers unless it is logged in to claude.ai, so through a
 * node it shows no usage at all; this line shows the pool instead.
 *
 * Claude Code (2.1.197) runs the command through a shell on every update (debounced 300 ms),
 * writes its status JSON plus a newline to stdin and closes it, waits for the process to exit and
 * its pipes to close, keeps stdout only on exit status 0 (trimmed, blank lines dropped), renders
 * it dimmed with ANSI colours kept, and kills a run that is still going when the next update
 * starts. So the line must come at once: it is printed from a cache file, and a stale cache is
 * refreshed by a detached child that holds none of our pipes. Only the very first run, with no
 * cache at all, waits for the node (briefly). It always exits 0: a failing status line must not
 * disturb the prompt.
 */
import { spawn } from 'node:child_process';
import { fetchAnswer, type StatuslineAnswer } from './statusline-fetch.ts';
import {
  cacheDirectory,
  cacheFilePath,
  emptyCache,
  isOffline,
  needsRefresh,
  prepareDirectory,
  readCache,
  tryLock,
  unlock,
  withAnswer,
  withFailure,
  writeCache,
  type StatuslineCache,
} from './statusline-cache.ts';
import { renderNoToken, renderOffline, renderStatusline } from './statusline-render.ts';
import { readStatuslineInput, validSessionId } from './statusline-input.ts';

export interface StatuslineOptions {
  url?: string | undefined;
  token?: string | undefined;
  /** Overrides the session id from stdin. */
  session?: string | undefined;
  /** Internal: the detached child that refreshes the cache and prints nothing. */
  refresh?: boolean | undefined;
}

export interface StatuslineEnvironment {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  nowMs: () => number;
  /** Starts the background refresher; it must outlive this process and hold none of its pipes. */
  startRefresher: (target: NodeTarget, sessionId: string | undefined, onFailure: () => void) => void;
}

export interface NodeTarget {
  url: string;
  token: string;
}

/** With no cache at all the first line waits for the node this long, then says offline. */
export const COLD_TIMEOUT_MS = 2000;
/** The background refresher has time: nobody waits on it. */
const REFRESH_TIMEOUT_MS = 5000;

export async function runStatusline(
  options: StatuslineOptions,
  environment: StatuslineEnvironment = defaultEnvironment(),
): Promise<number> {
  const { env, stdout, nowMs } = environment;
  // https://no-color.org: any non-empty NO_COLOR turns colour off. Claude Code's stdout is a
  // pipe, not a TTY, yet it renders colours, so a pipe does not turn them off here.
  const color = !env.NO_COLOR;
  const target = resolveTarget(options, env);
  if (target === undefined) {
    if (!options.refresh) stdout.write(`${renderNoToken(color)}\n`);
    return 0;
  }
  const directory = cacheDirectory(env);
  const cachePath = prepareDirectory(directory) ? cacheFilePath(directory, target.url, target.token) : undefined;
  if (options.refresh) {
    if (cachePath !== undefined) await refresh(target, cachePath, validSessionId(options.session), nowMs);
    return 0;
  }

  const input = await readStatuslineInput(environment.stdin);
  const sessionId = validSessionId(options.session) ?? input.sessionId;
  let cache = cachePath === undefined ? undefined : readCache(cachePath);
  if (cache === undefined) {
    cache = record(emptyCache(), await fetchAnswer(target.url, target.token, sessionId, COLD_TIMEOUT_MS, nowMs), nowMs());
    if (cachePath !== undefined) tryWrite(cachePath, cache);
  } else if (cachePath !== undefined && needsRefresh(cache, sessionId, nowMs()) && tryLock(cachePath, nowMs())) {
    environment.startRefresher(target, sessionId, () => unlock(cachePath));
  }
  stdout.write(`${line(cache, sessionId, nowMs(), color)}\n`);
  return 0;
}

/**
 * --url/--token, else QUOTAMESH_URL/QUOTAMESH_TOKEN (as `quotamesh status`), else the pair
 * Claude Code itself uses to reach the node, ANTHROPIC_BASE_URL/ANTHROPIC_AUTH_TOKEN, which it
 * passes on to the status line command. ANTHROPIC_AUTH_TOKEN is only sent to ANTHROPIC_BASE_URL.
 */
export function resolveTarget(options: StatuslineOptions, env: Record<string, string | undefined>): NodeTarget | undefined {
  const explicitUrl = options.url ?? (env.QUOTAMESH_URL || undefined);
  const url = explicitUrl ?? (env.ANTHROPIC_BASE_URL || 'http://127.0.0.1:8787');
  const anthropicPair = explicitUrl === undefined && Boolean(env.ANTHROPIC_BASE_URL);
  const token = options.token ?? (env.QUOTAMESH_TOKEN || (anthropicPair ? env.ANTHROPIC_AUTH_TOKEN || undefined : undefined));
  if (token === undefined) return undefined;
  try {
    new URL(url);
  } catch {
    return undefined;
  }
  return { url, token };
}

function line(cache: StatuslineCache, sessionId: string | undefined, nowMs: number, color: boolean): string {
  if (cache.pool === undefined || isOffline(cache)) return renderOffline(color);
  const entry = sessionId === undefined ? undefined : cache.sessions[sessionId];
  const session =
    sessionId === undefined || entry === undefined ? undefined : { id: sessionId, credential: entry.credential, peer: entry.peer };
  return renderStatusline({ pool: cache.pool, session }, Math.floor((nowMs + cache.nodeOffsetMs) / 1000), color);
}

async function refresh(target: NodeTarget, cachePath: string, sessionId: string | undefined, nowMs: () => number): Promise<void> {
  try {
    const answer = await fetchAnswer(target.url, target.token, sessionId, REFRESH_TIMEOUT_MS, nowMs);
    // Re-read: another refresher (another session) may have written since this one started.
    tryWrite(cachePath, record(readCache(cachePath) ?? emptyCache(), answer, nowMs()));
  } finally {
    unlock(cachePath);
  }
}

function record(cache: StatuslineCache, answer: StatuslineAnswer | undefined, nowMs: number): StatuslineCache {
  return answer === undefined ? withFailure(cache, nowMs) : withAnswer(cache, answer.pool, answer.session, answer.nodeOffsetMs, nowMs);
}

function tryWrite(path: string, cache: StatuslineCache): void {
  try {
    writeCache(path, cache);
  } catch {
    // A cache that cannot be written only costs speed: the next run asks the node again.
  }
}

function defaultEnvironment(): StatuslineEnvironment {
  return { stdin: process.stdin, stdout: process.stdout, env: process.env, nowMs: Date.now, startRefresher: spawnRefresher };
}

/**
 * The same program again (same loader flags, same entry) in `--refresh` mode. Detached into its
 * own process group with no stdio: Claude Code waits for our pipes to close and kills our process
 * group when the next update starts; the refresher must survive both. The target travels in the
 * environment, never on the command line where `ps` shows it.
 */
function spawnRefresher(target: NodeTarget, sessionId: string | undefined, onFailure: () => void): void {
  const entry = process.argv[1];
  if (entry === undefined) return onFailure();
  const args = [...process.execArgv, entry, 'statusline', '--refresh', ...(sessionId === undefined ? [] : ['--session', sessionId])];
  try {
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      env: { ...process.env, QUOTAMESH_URL: target.url, QUOTAMESH_TOKEN: target.token },
    });
    child.once('error', onFailure);
    child.unref();
  } catch {
    onFailure();
  }
}
