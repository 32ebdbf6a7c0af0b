/**
 * Reloads the config file on request (SIGHUP, wired by `serve`) and when the file changes
 * (CONFIG.md › Reloading). The new file is validated as `quotamesh check` does; a bad one is
 * refused with one log line naming every problem's JSON path, and the node keeps running what
 * it runs. A file event whose content is what was last read does nothing, so an editor's
 * several writes, or a refused file touched again, are not logged again.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError, errorMessage } from '../lib/index.ts';
import { watchFile, type FileWatch } from '../pool/index.ts';
import { describeChange, isEmptyChange, type ConfigChange } from './config-diff.ts';
import { configEnvironment, parseConfigText } from './config-load.ts';
import type { RunningNode } from './node.ts';

export type ReloadTrigger = 'signal' | 'file';

export type ReloadOutcome =
  | { kind: 'applied'; change: ConfigChange }
  | { kind: 'unchanged' }
  | { kind: 'refused'; problems: string[] }
  | { kind: 'failed'; error: string };

export interface ConfigWatchOptions {
  path: string;
  node: Pick<RunningNode, 'reload'>;
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Quiet time after the last file event before reading (editors write in several steps). */
  debounceMs?: number;
  /** false: reload only when asked (SIGHUP), not on file events. Default true. */
  watch?: boolean;
}

export class ConfigWatch {
  readonly #options: ConfigWatchOptions;
  readonly #logger: Logger;
  readonly #watch: FileWatch | undefined;
  #lastText: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ConfigWatchOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'config' });
    // What the node was just started from: the watcher's first event must not count as a change.
    try {
      this.#lastText = readFileSync(options.path, 'utf8');
    } catch {
      this.#lastText = undefined;
    }
    this.#watch =
      options.watch === false
        ? undefined
        : watchFile(options.path, () => void this.reload('file'), { debounceMs: options.debounceMs ?? 200 });
  }

  /** One reload at a time, in the order asked for. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.#queue.then(() => this.#reload(trigger));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { path } = this.#options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // A file replaced by rename is briefly absent; the rename's own event reads it again.
      if (trigger === 'file') return { kind: 'unchanged' };
      const problems = [`${path}: cannot read (${errorMessage(error)})`];
      this.#logger.error({ path, trigger, problems }, 'config reload refused; the running config stays');
      return { kind: 'refused', problems };
    }
    if (trigger === 'file' && text === this.#lastText) return { kind: 'unchanged' };
    this.#lastText = text;
    let change: ConfigChange;
    try {
      change = await this.#options.node.reload(parseConfigText(text, configEnvironment(path, this.#options.env)));
    } catch (error) {
      if (error instanceof ConfigError) {
        this.#logger.error({ path, trigger, problems: error.problems }, 'config reload refused; the running config stays');
        return { kind: 'refused', problems: [...error.problems] };
      }
      this.#logger.error({ path, trigger, err: error }, 'config reload failed');
      return { kind: 'failed', error: errorMessage(error) };
    }
    if (isEmptyChange(change)) {
      this.#logger.info({ path, trigger }, 'config reloaded; nothing changed');
      return { kind: 'unchanged' };
    }
    this.#logger.info({ path, trigger, changes: describeChange(change) }, 'config reloaded');
    if (change.restartRequired.length > 0) {
      this.#logger.warn(
        { path, keys: change.restartRequired },
        'config change needs a restart to take effect; running with the old values',
      );
    }
    return { kind: 'applied', change };
  }

  close(): void {
    this.#watch?.close();
  }
}
