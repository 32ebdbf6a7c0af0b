/**
 * Credentials an operator took out by hand (docs/ADMIN.md): `provider/tag` → who and when. A
 * disabled credential is skipped by every pick but keeps what it is already serving; the marks
 * live in the state directory, so a restart does not quietly put an account back. Shared by
 * every provider's pool (a pool rebuilt by a reload finds its marks here).
 */
import { ChangeSignal } from './change-signal.ts';

export interface DisabledMark {
  /** The caller that disabled it (today always `admin`). */
  by: string;
  /** Epoch ms. */
  atMs: number;
  /** The operator's words, when given. */
  reason?: string | undefined;
}

/** A state file is ours, but it may be old or edited by hand: these bound what it can make us hold. */
export const MAX_DISABLED_MARKS = 4096;
export const MAX_DISABLED_REASON_LENGTH = 200;
const MAX_KEY_LENGTH = 256;
const MAX_BY_LENGTH = 64;

export class DisabledCredentials {
  readonly #marks = new Map<string, DisabledMark>();
  readonly #changes = new ChangeSignal();

  get(provider: string, tag: string): DisabledMark | undefined {
    return this.#marks.get(keyOf(provider, tag));
  }

  /** False when it was disabled already (the first mark, with its who and when, is kept). */
  disable(provider: string, tag: string, mark: DisabledMark): boolean {
    const key = keyOf(provider, tag);
    if (this.#marks.has(key)) return false;
    if (this.#marks.size >= MAX_DISABLED_MARKS) throw new RangeError(`at most ${MAX_DISABLED_MARKS} credentials can be disabled`);
    this.#marks.set(key, { by: mark.by.slice(0, MAX_BY_LENGTH), atMs: mark.atMs, ...boundedReason(mark.reason) });
    this.#changes.emit();
    return true;
  }

  /** False when it was not disabled. */
  enable(provider: string, tag: string): boolean {
    const removed = this.#marks.delete(keyOf(provider, tag));
    if (removed) this.#changes.emit();
    return removed;
  }

  /** The `disabled` section of state.json. */
  persist(): Record<string, { by: string; at_ms: number; reason?: string }> {
    return Object.fromEntries(
      [...this.#marks].map(([key, mark]) => [
        key,
        { by: mark.by, at_ms: mark.atMs, ...(mark.reason === undefined ? {} : { reason: mark.reason }) },
      ]),
    );
  }

  /** Tolerant of garbage: each malformed entry is dropped on its own; at most MAX_DISABLED_MARKS are kept. */
  restore(section: unknown): void {
    if (section === null || typeof section !== 'object' || Array.isArray(section)) return;
    for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
      if (this.#marks.size >= MAX_DISABLED_MARKS) break;
      const mark = parseMark(key, value);
      if (mark !== undefined) this.#marks.set(key, mark);
    }
    this.#changes.emit();
  }

  onChange(listener: () => void): () => void {
    return this.#changes.subscribe(listener);
  }
}

function keyOf(provider: string, tag: string): string {
  return `${provider}/${tag}`;
}

function parseMark(key: string, value: unknown): DisabledMark | undefined {
  if (key.length > MAX_KEY_LENGTH || !key.includes('/')) return undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const fields = value as Record<string, unknown>;
  const by = fields['by'];
  const atMs = fields['at_ms'];
  if (typeof by !== 'string' || by.length === 0 || by.length > MAX_BY_LENGTH) return undefined;
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) return undefined;
  const reason = typeof fields['reason'] === 'string' ? fields['reason'] : undefined;
  return { by, atMs: Math.floor(atMs), ...boundedReason(reason) };
}

function boundedReason(reason: string | undefined): { reason?: string } {
  return reason === undefined || reason === '' ? {} : { reason: reason.slice(0, MAX_DISABLED_REASON_LENGTH) };
}
