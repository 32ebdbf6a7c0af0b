/**
 * Which model families an account refuses for now while its other models are fine (Claude's
 * seven_day_opus week, a Codex extra limit family): family → epoch ms until the block ends. Not
 * persisted: after a restart the first request for the family learns it again at the cost of one
 * failover. Families come from request bodies, so the table is bounded.
 */
import type { ModelLimit } from '../status/index.ts';

const MAX_MODEL_BLOCKS = 16;
const DEFAULT_MODEL_BLOCK_MS = 60_000;
const LONGEST_MODEL_BLOCK_MS = 8 * 24 * 3600 * 1000;

export class ModelBlocks {
  readonly #untilMs = new Map<string, number>();

  isBlocked(family: string, nowMs: number): boolean {
    return (this.#untilMs.get(family) ?? 0) > nowMs;
  }

  /** Until the window's reset, else Retry-After, else a minute; never longer than a reset may be. */
  block(family: string, hint: { resetAtMs?: number | undefined; retryAfterMs?: number | undefined }, nowMs: number): void {
    for (const [known, untilMs] of this.#untilMs) if (untilMs <= nowMs) this.#untilMs.delete(known);
    if (!this.#untilMs.has(family) && this.#untilMs.size >= MAX_MODEL_BLOCKS) return;
    const until = [hint.resetAtMs, hint.retryAfterMs === undefined ? undefined : nowMs + hint.retryAfterMs].find(
      (end) => end !== undefined && end > nowMs,
    );
    this.#untilMs.set(family, Math.min(until ?? nowMs + DEFAULT_MODEL_BLOCK_MS, nowMs + LONGEST_MODEL_BLOCK_MS));
  }

  /** `model limit reached: opus until 2026-12-05T…`; undefined when nothing is blocked. */
  reason(nowMs: number): string | undefined {
    const blocked = [...this.#untilMs].filter(([, untilMs]) => untilMs > nowMs);
    if (blocked.length === 0) return undefined;
    return `model limit reached: ${blocked.map(([family, untilMs]) => `${family} until ${new Date(untilMs).toISOString()}`).join(', ')}`;
  }

  /** The running blocks, for status: family and the Unix second the block ends, in family order. */
  list(nowMs: number): ModelLimit[] {
    return [...this.#untilMs]
      .filter(([, untilMs]) => untilMs > nowMs)
      .map(([family, untilMs]) => ({ family, until: Math.ceil(untilMs / 1000) }))
      .sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : 0));
  }

  /** An operator's reset (docs/ADMIN.md): the next request for any family may try this account. */
  clear(): void {
    this.#untilMs.clear();
  }

  /** Ends of the running blocks, for the change tracker's next wake-up. */
  ends(nowMs: number): number[] {
    return [...this.#untilMs.values()].filter((untilMs) => untilMs > nowMs);
  }
}
