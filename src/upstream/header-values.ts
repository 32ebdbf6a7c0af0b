/**
 * Tolerant readers for single header values, shared by the Anthropic and Codex parsers. Each
 * returns `undefined` on anything it does not recognise; none throws (ARCHITECTURE.md › Conventions,
 * "parse, don't panic" — sing-box crashed on exactly these headers).
 */
/** Our own header: a node's aggregate plan weight, sent alongside either provider's windows. */
export const PLAN_WEIGHT_HEADER = 'x-quotamesh-plan-weight';

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;
export type HeaderGetter = (name: string) => string | undefined;

/** Anything further than this from now is not a reset time (it is ms, or seconds-until, or junk). */
export const MAX_RESET_DISTANCE_SECONDS = 400 * 24 * 3600;
const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Case-insensitive lookup of the first value of a header, whatever the source. */
export function headerReader(headers: HeaderSource): HeaderGetter {
  // Not `instanceof Headers`: touching that global loads undici (about 10 MB) in a node that
  // otherwise never needs it (http-exchange.ts). A plain object's values are never functions.
  if (typeof headers.get === 'function') return (name) => (headers as Headers).get(name) ?? undefined;
  // Plain objects come from node:http (lower-case) or from tests and peers (any case).
  const lowered = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') lowered.set(name.toLowerCase(), first);
  }
  return (name) => lowered.get(name);
}

/** A finite, non-negative decimal number; `Number()` alone would accept '', '0x10' and 'Infinity'. */
export function parseDecimal(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

export function parseEpochSeconds(value: string | undefined, nowSeconds: number): number | undefined {
  const seconds = parseDecimal(value);
  if (seconds === undefined) return undefined;
  const rounded = Math.round(seconds);
  return Math.abs(rounded - nowSeconds) <= MAX_RESET_DISTANCE_SECONDS ? rounded : undefined;
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date; either way, seconds from now. */
export function parseRetryAfter(value: string | undefined, nowSeconds: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const seconds = parseDecimal(text);
  if (seconds !== undefined) {
    return seconds <= MAX_RESET_DISTANCE_SECONDS ? Math.ceil(seconds) : undefined;
  }
  // Date.parse accepts bare numbers and partial strings too; HTTP-dates always name a weekday.
  if (!/^[A-Za-z]{3},/.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (!Number.isFinite(dateMs)) return undefined;
  const delay = Math.ceil(dateMs / 1000 - nowSeconds);
  return delay <= MAX_RESET_DISTANCE_SECONDS ? Math.max(0, delay) : undefined;
}
