/**
 * `state_dir/state.json`: what each credential knows about its cooldowns and windows, so a restart
 * does not hammer an exhausted account (CONFIG.md › State directory). Saved a moment after every
 * change (bursts coalesced) and on close, always by atomic replace; a missing or corrupt file is an
 * empty state, never a failed start.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../lib/index.ts';
import { writeFileAtomic, type CredentialStateStore, type PersistentCredential } from '../pool/index.ts';

export class StateStore implements CredentialStateStore {
  readonly path: string;
  readonly #logger: Logger;
  readonly #members = new Map<string, PersistentCredential>();
  #saved: Record<string, unknown> = {};
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();
  #debounceMs: number;

  constructor(stateDir: string, logger: Logger, debounceMs = 1000) {
    this.path = join(stateDir, 'state.json');
    this.#logger = logger;
    this.#debounceMs = debounceMs;
  }

  async load(): Promise<void> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'));
      const credentials = (parsed as { credentials?: unknown } | null)?.credentials;
      if (credentials !== null && typeof credentials === 'object') this.#saved = credentials as Record<string, unknown>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn({ path: this.path, err: errorMessage(error) }, 'ignoring unreadable state file');
      }
    }
  }

  /** Restores what was saved for `key` and keeps it in the next saves. */
  register(key: string, credential: PersistentCredential): void {
    this.#members.set(key, credential);
    if (key in this.#saved) credential.restoreState(this.#saved[key]);
  }

  /** A credential a reload removed: what it knew stays in the file, as for one left out at a restart. */
  unregister(key: string): void {
    const credential = this.#members.get(key);
    if (credential === undefined) return;
    this.#saved[key] = credential.persistentState();
    this.#members.delete(key);
  }

  /** A credential a reload replaced by one for another file: what it knew goes. */
  forget(key: string): void {
    this.#members.delete(key);
    delete this.#saved[key];
    this.scheduleSave();
  }

  /** A credential a reload replaced: the successor registered next starts from what this one knew. */
  handOver(key: string, from: PersistentCredential): void {
    this.#saved[key] = from.persistentState();
  }

  scheduleSave(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.save();
    }, this.#debounceMs);
    this.#timer.unref();
  }

  save(): Promise<void> {
    this.#saving = this.#saving.then(() => this.#write());
    return this.#saving;
  }

  async #write(): Promise<void> {
    for (const [key, credential] of this.#members) this.#saved[key] = credential.persistentState();
    try {
      await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, credentials: this.#saved }, null, 2)}\n`);
    } catch (error) {
      this.#logger.error({ path: this.path, err: errorMessage(error) }, 'cannot save state');
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.save();
  }
}
