/**
 * One line of `state_dir/usage.jsonl` (CONFIG.md › State directory), read back tolerantly: the
 * file only grows and a crash can cut its last line short, so a line that does not parse is
 * undefined (the caller counts it), and a field of the wrong type reads as absent or zero.
 */
import { totalTokens, type TokenCounts } from './cost.ts';

export interface LedgerEntry {
  timeMs: number;
  /** The user, `peer <name>` for a request a peer made through its tunnel, or `(unknown)`. */
  user: string;
  /** The model asked for, or `(no model)`. */
  model: string;
  rawModel: string | null;
  /** `provider/tag` of the credential that answered, or `(none)` when none did. */
  credential: string;
  tokens: TokenCounts;
  totalTokens: number;
}

const TOKEN_KEYS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const;

export function parseLedgerLine(line: string): LedgerEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const timeMs = typeof record.time === 'string' ? Date.parse(record.time) : Number.NaN;
  if (!Number.isFinite(timeMs)) return undefined;
  // A request a peer made through its tunnel has no user of ours; it is charged to the peer.
  const user = text(record.user) ?? (text(record.peer) === undefined ? '(unknown)' : `peer ${text(record.peer)}`);
  const rawModel = text(record.model) ?? null;
  const provider = text(record.provider);
  const tag = text(record.credential);
  const credential = tag === undefined ? '(none)' : provider === undefined ? tag : `${provider}/${tag}`;
  const tokens = Object.fromEntries(TOKEN_KEYS.map((key) => [key, count(record[key])])) as unknown as TokenCounts;
  const oneHourWrites = Math.min(count(record.cache_creation_1h_input_tokens), tokens.cache_creation_input_tokens);
  if (oneHourWrites > 0) tokens.cache_creation_1h_input_tokens = oneHourWrites;
  return { timeMs, user, model: rawModel ?? '(no model)', rawModel, credential, tokens, totalTokens: totalTokens(tokens) };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A count from a file anyone could edit: finite, non-negative, else zero. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
